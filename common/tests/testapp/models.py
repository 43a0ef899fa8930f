from django.db import models

from common.localization.search import Searchable
from common.versioning import VersionedModel


class Widget(VersionedModel):
    """Published as testapp.widget.*; its parts are part of the aggregate."""

    name = models.CharField(max_length=50)
    quantity = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WidgetPart(models.Model):
    widget = models.ForeignKey(Widget, on_delete=models.CASCADE, related_name="parts")
    label = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.label


class WidgetCopy(models.Model):
    """What a consumer keeps of a widget, from its events."""

    id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=50)
    quantity = models.PositiveIntegerField()
    parts = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField()
    synced_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class WidgetApplication(models.Model):
    """One row per time the consumer applied an event; a duplicate would show twice."""

    event_id = models.UUIDField()
    widget_id = models.BigIntegerField()
    version = models.PositiveIntegerField()
    applied_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.event_id}"


class Switch(models.Model):
    """A flag the tests flip to 'fix' a failing handler."""

    name = models.CharField(primary_key=True, max_length=50)

    def __str__(self) -> str:
        return self.name


class Contact(Searchable, models.Model):
    """Searched by its name and city (common.localization.search); its note is not searched."""

    name = models.CharField(max_length=100)
    city = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=100, blank=True)

    SEARCHED_FIELDS = ("name", "city")

    def __str__(self) -> str:
        return self.name
