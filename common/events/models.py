"""The event tables of a service that publishes or consumes (docs/events.md): its outbox,
the inbox of events it applied and the dead letters it parked.

They were the ``common`` app's until it was split; their tables keep those names
(``common_outboxevent`` ...), so a database migrated before the split keeps its rows
(migrations/0001_initial.py).
"""

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class EnvelopeField(models.JSONField):
    """A JSONField that PostgreSQL bulk inserts send as one parameter per row.

    Django 5.2 sends a bulk insert on PostgreSQL as ``UNNEST`` of one array per
    column, and psycopg's client-side binding quotes an array of JSON texts in
    Python, character by character: half of ``publish_snapshots``' time for
    clients went there. A field with ``get_placeholder`` keeps the plain
    ``VALUES`` form (Django's own rule for that path).
    """

    #: common.fastpath.postgresql's compiler may skip asking (its placeholder is always ``%s``).
    placeholder_is_plain = True

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"


class OutboxEvent(models.Model):
    """An event recorded in the same transaction as the change it describes.

    ``sent_at`` is set once the broker has accepted it; until then the relay
    keeps re-sending it, oldest first, never an aggregate's later event before
    an earlier one. ``claimed_until`` is a relay's lease on a pending row (its
    ``claim`` names which pass holds it): nobody else publishes the row before the
    lease ends, and a relay that died with it leaves the row to the next claim after.
    A pending row never claimed may still be replaced by its aggregate's next event
    of the same type (``recording``: pending events do not pile up).
    """

    event_id = models.UUIDField(_("event id"), unique=True)
    type = models.CharField(_("type"), max_length=150)
    aggregate_type = models.CharField(_("aggregate type"), max_length=100)
    aggregate_id = models.CharField(_("aggregate id"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    envelope = EnvelopeField(_("envelope"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim = models.UUIDField(_("claim"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    repeat = models.BooleanField(
        _("repeat"),
        default=False,
        help_text=_(
            "A re-publication of the aggregate's current state (sweep or snapshots), not a change."
        ),
    )

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        db_table = "common_outboxevent"
        ordering = ["id"]
        indexes = [
            # The anti-entropy sweep asks which aggregates were sent within its window.
            models.Index(fields=["sent_at"], name="common_outbox_sent_at_idx"),
            models.Index(
                fields=["id"],
                condition=models.Q(sent_at__isnull=True),
                name="common_outbox_pending_idx",
            ),
            # Pending rows only: "is an earlier event of this aggregate still pending?" is
            # asked on every publish, and must not read an aggregate's whole history.
            models.Index(
                fields=["aggregate_type", "aggregate_id", "id"],
                condition=models.Q(sent_at__isnull=True),
                name="common_outbox_pending_agg_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} v{self.version} of {self.aggregate_id}"


class InboxEvent(models.Model):
    """An event this service has applied; its row commits with the handler's effect."""

    event_id = models.UUIDField(_("event id"), primary_key=True)
    type = models.CharField(_("type"), max_length=150)
    source = models.CharField(_("source"), max_length=50)
    aggregate_id = models.CharField(_("aggregate id"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    received_at = models.DateTimeField(
        _("received at"), auto_now_add=True, db_index=True
    )  # pruning
    #: A re-publication of the current state (``repeat`` in the envelope), not a change:
    #: what tells an original event from the sweep's repeats of its version.
    repeat = models.BooleanField(_("repeat"), default=False)
    #: Set on a repeat that moved a copy forward from this version soon after the change:
    #: a repair only if the original event has not arrived by EVENTS_REPAIR_AFTER_SECONDS
    #: (common.events.convergence.confirm_repairs decides, then clears it).
    repaired_from = models.PositiveIntegerField(_("repaired from"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox event")
        verbose_name_plural = _("inbox events")
        db_table = "common_inboxevent"
        indexes = [
            # "Did the original event of this version arrive?", asked of suspected repairs.
            models.Index(fields=["aggregate_id", "version"], name="common_inbox_agg_version_idx"),
            models.Index(
                fields=["received_at"],
                condition=models.Q(repaired_from__isnull=False),
                name="common_inbox_repair_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} v{self.version} of {self.aggregate_id}"


class DeadLetter(models.Model):
    """An event whose handler kept failing; ``manage.py replay_dead_letters`` re-runs it."""

    event_id = models.UUIDField(_("event id"), unique=True)
    type = models.CharField(_("type"), max_length=150)
    envelope = models.JSONField(_("envelope"), encoder=DjangoJSONEncoder)
    error = models.TextField(_("error"))
    attempts = models.PositiveIntegerField(_("attempts"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    replayed_at = models.DateTimeField(_("replayed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        db_table = "common_deadletter"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
