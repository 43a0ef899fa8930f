"""Pruning what the event machinery and idempotency keep, on the scheduler.

Sent outbox rows (``EVENTS_OUTBOX_KEEP_DAYS``, 7), inbox ids
(``EVENTS_INBOX_KEEP_DAYS``, 30) and Idempotency-Key responses
(``IDEMPOTENCY_KEY_HOURS``, 24) are deleted in chunks of ``CHUNK`` rows, each
chunk its own short transaction: a prune never holds a long lock or a long
transaction, and a busy table keeps taking writes between chunks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from common.models import IdempotencyRecord, InboxEvent, OutboxEvent

CHUNK = 1000


def delete_in_chunks(rows: models.QuerySet, *, chunk: int = CHUNK) -> int:
    """Deletes ``rows`` ``chunk`` primary keys at a time. Returns how many were deleted."""
    deleted = 0
    while True:
        ids = list(rows.order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            return deleted
        count, _ = rows.model._default_manager.filter(pk__in=ids).delete()
        deleted += count
        if len(ids) < chunk:
            return deleted


def prune_outbox(*, now: datetime | None = None) -> int:
    """Sent outbox rows older than ``EVENTS_OUTBOX_KEEP_DAYS``; pending rows always stay."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENTS_OUTBOX_KEEP_DAYS)
    return delete_in_chunks(OutboxEvent.objects.filter(sent_at__lt=cutoff))


def prune_inbox(*, now: datetime | None = None) -> int:
    """Inbox ids older than ``EVENTS_INBOX_KEEP_DAYS``: longer than any redelivery."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENTS_INBOX_KEEP_DAYS)
    return delete_in_chunks(InboxEvent.objects.filter(received_at__lt=cutoff))


def prune_idempotency_keys(*, now: datetime | None = None) -> int:
    """Remembered Idempotency-Key responses older than ``IDEMPOTENCY_KEY_HOURS``."""
    hours = getattr(settings, "IDEMPOTENCY_KEY_HOURS", 24)
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    return delete_in_chunks(IdempotencyRecord.objects.filter(created_at__lt=cutoff))


def job(prune: Any) -> Any:
    """``prune`` as a scheduler job: its result is how many rows went."""

    def run(*, started_at: datetime, before_previous: datetime | None) -> dict[str, Any]:
        return {"deleted": prune(now=started_at)}

    return run
