from django.db import models

from common.versioning import VersionedModel


class Widget(VersionedModel):
    name = models.CharField(max_length=50)
    quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
