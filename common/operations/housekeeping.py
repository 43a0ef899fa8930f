"""Pruning, on the scheduler (common.operations.scheduler): remembered Idempotency-Key responses
(``IDEMPOTENCY_KEY_HOURS``, 24) here, the event tables' in common.events.housekeeping.

Rows go in chunks of ``CHUNK``, each chunk its own short transaction: a prune never
holds a long lock or a long transaction, and a busy table keeps taking writes between
chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from common.models import IdempotencyRecord

CHUNK = 1000

#: How often the pruning jobs run.
HOURLY_SECONDS = 3600.0


def hourly() -> float:
    return HOURLY_SECONDS


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


def prune_idempotency_keys(*, now: datetime | None = None) -> int:
    """Remembered Idempotency-Key responses older than ``IDEMPOTENCY_KEY_HOURS``."""
    hours = getattr(settings, "IDEMPOTENCY_KEY_HOURS", 24)
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    return delete_in_chunks(IdempotencyRecord.objects.filter(created_at__lt=cutoff))


def job(prune: Callable[..., int]) -> Callable[..., dict[str, Any]]:
    """``prune`` as a scheduler job: its result is how many rows went."""

    def run(*, started_at: datetime, before_previous: datetime | None) -> dict[str, Any]:
        return {"deleted": prune(now=started_at)}

    return run
