"""Tables every service has: remembered Idempotency-Key responses, the scheduler's
shared records (common.operations.scheduler) and users' revocations (common.auth.revocations)."""

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


class EventsStatus(models.Model):
    """Small named records that several processes share.

    ``job:<name>`` rows are the scheduler's leases and last results (locked to
    claim a run, so two schedulers never run a job at once), in every service;
    ``repairs`` is the event consumer's record of copies that a repeat found behind
    their source. (Named for the events, whose scheduler it first served.)
    """

    name = models.CharField(primary_key=True, max_length=100)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name_plural = "events status"

    def __str__(self) -> str:
        return self.name


class Revocation(models.Model):
    """What this service knows of a users_api user's revocation (common.auth.revocations):
    tokens and sessions issued at or before ``not_before`` are refused, and all of them
    while ``inactive``. Kept until ``keep_until``, when every such token and session
    has expired anyway."""

    user_id = models.CharField(primary_key=True, max_length=64, help_text="users_api's id")
    version = models.PositiveIntegerField(help_text="the user's version this came from")
    not_before = models.DateTimeField(null=True, blank=True)
    inactive = models.BooleanField(default=False)
    keep_until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"revocation of {self.user_id} v{self.version}"
