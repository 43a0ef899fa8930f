"""Tables every service has: remembered Idempotency-Key responses."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a create sent with an ``Idempotency-Key``."""

    principal = models.CharField(max_length=80, help_text="user:<id>, or anonymous")
    path = models.CharField(max_length=300)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body")
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "path", "key"], name="common_idempotency_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.path} {self.key}"


class OutboxEvent(models.Model):
    """An event recorded in the same transaction as the change it describes.

    ``sent_at`` is set once the broker has accepted it; until then the relay
    keeps re-sending it, oldest first, never an aggregate's later event before
    an earlier one.
    """

    event_id = models.UUIDField(unique=True)
    type = models.CharField(max_length=150)
    aggregate_type = models.CharField(max_length=100)
    aggregate_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    envelope = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    repeat = models.BooleanField(
        default=False,
        help_text="A re-publication of the aggregate's current state (sweep or snapshots), "
        "not a change.",
    )

    class Meta:
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
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class EventsStatus(models.Model):
    """Small named records of the event machinery that several processes share.

    ``job:<name>`` rows are the scheduler's leases and last results (locked to
    claim a run, so two schedulers never run a job at once); ``repairs`` is the
    consumer's record of copies that a repeat found behind their source.
    """

    name = models.CharField(primary_key=True, max_length=100)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name_plural = "events status"

    def __str__(self) -> str:
        return self.name
