"""What every service's admin shares: writes through the services, read-only views of the
event tables, and replaying dead letters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from common.events.consumer import replay_dead_letters
from common.models import DeadLetter, InboxEvent, OutboxEvent


def refusal_message(error: DomainError | ValidationError) -> str:
    """A service's refusal (a DomainError or a ValidationError) as one line for people."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    errors = error.extra.get("errors")
    if errors:
        return " ".join(str(message) for found in errors.values() for message in found)
    return str(error.message)


class ServiceWritesAdmin(admin.ModelAdmin):
    """An admin whose saves call the service's use-cases (in ``save_model`` and
    ``save_formset``), as the API does.

    A refusal the form could not foresee (a rule, a row changed meanwhile) undoes the
    whole save; the page comes back with what was typed and the refusal as its error.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as error:
            # Again, with a form that shows the refusal and so writes nothing.
            request.service_refusal = self.describe_refusal(error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def describe_refusal(self, error: DomainError | ValidationError) -> str:
        """The refusal as the page shows it; an admin adds here what its service's
        errors carry beyond the message."""
        return refusal_message(error)

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "service_refusal", None)
        if refusal is None:
            return form

        class Refused(form):
            def clean(self) -> dict[str, Any]:
                super().clean()
                raise forms.ValidationError(refusal, code="refused")

        return Refused

    @staticmethod
    def show_written(obj: Any, written: Any) -> None:
        """Makes the admin's object the row the service wrote, for the pages that follow."""
        obj.pk = written.pk
        obj.refresh_from_db()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class PendingFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [("pending", _("Pending")), ("sent", _("Sent"))]

    def queryset(self, request: Any, queryset: Any) -> Any:
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "aggregate_id", "version", "created_at", "sent_at", "attempts")
    list_filter = (PendingFilter, "type")
    search_fields = ("aggregate_id", "event_id")
    ordering = ("-id",)


@admin.register(InboxEvent)
class InboxEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "source", "aggregate_id", "version", "received_at")
    list_filter = ("type", "source")
    search_fields = ("aggregate_id", "event_id")
    ordering = ("-received_at",)


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "attempts", "created_at", "updated_at", "replayed_at")
    list_filter = ("type", ("replayed_at", admin.EmptyFieldListFilter))
    search_fields = ("event_id",)
    actions = ["replay"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        # The replay action needs it; the form itself stays read-only (no editable fields).
        return request.user.is_superuser

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    @admin.action(description=_("Replay the selected events"))
    def replay(self, request: Any, queryset: Any) -> None:
        replayed, failed = replay_dead_letters(letters=queryset)
        level = messages.WARNING if failed else messages.SUCCESS
        message = _("Replayed %(replayed)d; still failing %(failed)d.")
        self.message_user(request, message % {"replayed": replayed, "failed": failed}, level)
