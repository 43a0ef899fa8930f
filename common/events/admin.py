"""The event tables in the admin: read-only, with replaying dead letters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from common.admin.model_admins import ReadOnlyAdmin
from common.events.consumer import replay_dead_letters
from common.events.models import DeadLetter, InboxEvent, OutboxEvent


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
