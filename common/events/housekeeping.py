"""Pruning the event tables, on the scheduler (common.events.jobs): sent outbox rows
(``EVENTS_OUTBOX_KEEP_DAYS``, 7) and inbox ids (``EVENTS_INBOX_KEEP_DAYS``, 30), in
chunks (common.operations.housekeeping)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from common.events.models import InboxEvent, OutboxEvent
from common.operations.housekeeping import delete_in_chunks


def prune_outbox(*, now: datetime | None = None) -> int:
    """Sent outbox rows older than ``EVENTS_OUTBOX_KEEP_DAYS``; pending rows always stay."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENTS_OUTBOX_KEEP_DAYS)
    return delete_in_chunks(OutboxEvent.objects.filter(sent_at__lt=cutoff))


def prune_inbox(*, now: datetime | None = None) -> int:
    """Inbox ids older than ``EVENTS_INBOX_KEEP_DAYS``: longer than any redelivery."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENTS_INBOX_KEEP_DAYS)
    return delete_in_chunks(InboxEvent.objects.filter(received_at__lt=cutoff))
