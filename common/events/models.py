"""The event tables of a service that publishes or consumes (docs/events.md): its outbox,
the inbox of events it applied and the dead letters it parked.

They were the ``common`` app's until it was split; their tables keep those names
(``common_outboxevent`` ...), so a database migrated before the split keeps its rows
(migrations/0001_initial.py).
"""

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class EnvelopeField(models.JSONField):
    """A JSONField that PostgreSQL bulk inserts send as one parameter per row.

    Django 5.2 sends a bulk insert on PostgreSQL as ``UNNEST`` of one array per
    column, and psycopg's client-side binding quotes an array of JSON texts in
    Python, character by character: half of ``publish_snapshots``' time for
    clients went there. A field with ``get_placeholder`` keeps the plain
    ``VALUES`` form (Django's own rule for that path).
    """

    #: common.postgresql's compiler may skip asking (its placeholder is always ``%s``).
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

    event_id = models.UUIDField(unique=True)
    type = models.CharField(max_length=150)
    aggregate_type = models.CharField(max_length=100)
    aggregate_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    envelope = EnvelopeField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    repeat = models.BooleanField(
        default=False,
        help_text="A re-publication of the aggregate's current state (sweep or snapshots), "
        "not a change.",
    )

    class Meta:
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

    event_id = models.UUIDField(primary_key=True)
    type = models.CharField(max_length=150)
    source = models.CharField(max_length=50)
    aggregate_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)  # pruning
    #: A re-publication of the current state (``repeat`` in the envelope), not a change:
    #: what tells an original event from the sweep's repeats of its version.
    repeat = models.BooleanField(default=False)
    #: Set on a repeat that moved a copy forward from this version soon after the change:
    #: a repair only if the original event has not arrived by EVENTS_REPAIR_AFTER_SECONDS
    #: (common.events.convergence.confirm_repairs decides, then clears it).
    repaired_from = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
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

    event_id = models.UUIDField(unique=True)
    type = models.CharField(max_length=150)
    envelope = models.JSONField(encoder=DjangoJSONEncoder)
    error = models.TextField()
    attempts = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "common_deadletter"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
