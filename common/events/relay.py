"""Moving recorded events from the outbox to the broker.

Two paths publish, and both go through ``relay_pending``: right after a commit
(fast path, in the process that made the change) and the ``relay_outbox`` loop,
which re-sends whatever is still pending. Rows are claimed with
``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it, and an event is
published only when no earlier event of its aggregate is still pending, so an
aggregate's events leave in order even with several publishers at once.
Delivery is at least once: a crash after publishing and before marking sent
publishes again, and consumers drop the duplicate by event id.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Exists, F, Min, OuterRef, QuerySet
from django.utils import timezone

from common.events.transport import BrokerUnavailable, CircuitBreaker, publisher
from common.models import OutboxEvent

logger = logging.getLogger("common.events.relay")

_fast_path_breaker = CircuitBreaker(cooldown=5.0)


def _lock(rows: QuerySet[OutboxEvent]) -> QuerySet[OutboxEvent]:
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True)
    return rows  # SQLite: IMMEDIATE transactions already serialize writers


def _claim_ids(ids: list[int]) -> list[OutboxEvent]:
    """The given pending events that no earlier pending event of their aggregate precedes.

    One query: the fast path runs it after every commit.
    """
    earlier_pending = OutboxEvent.objects.filter(
        aggregate_type=OuterRef("aggregate_type"),
        aggregate_id=OuterRef("aggregate_id"),
        sent_at__isnull=True,
        id__lt=OuterRef("id"),
    ).exclude(pk__in=ids)
    rows = OutboxEvent.objects.filter(pk__in=ids, sent_at__isnull=True).filter(
        ~Exists(earlier_pending)
    )
    return list(_lock(rows.order_by("id")))


def _claim_oldest(limit: int) -> list[OutboxEvent]:
    return _in_order(
        list(_lock(OutboxEvent.objects.filter(sent_at__isnull=True).order_by("id"))[:limit])
    )


def _in_order(rows: list[OutboxEvent]) -> list[OutboxEvent]:
    """The claimed rows whose aggregate has no earlier event still pending elsewhere."""
    if not rows:
        return rows
    claimed = {row.pk for row in rows}
    pending_elsewhere = (
        OutboxEvent.objects.filter(
            sent_at__isnull=True,
            id__lt=max(claimed),
            aggregate_id__in={row.aggregate_id for row in rows},
        )
        .exclude(pk__in=claimed)
        .values("aggregate_type", "aggregate_id")
        .annotate(first_id=Min("id"))
    )
    earliest_elsewhere = {
        (item["aggregate_type"], item["aggregate_id"]): item["first_id"]
        for item in pending_elsewhere
    }
    return [
        row
        for row in rows
        if earliest_elsewhere.get((row.aggregate_type, row.aggregate_id), row.pk + 1) > row.pk
    ]


def _mark_sent(ids: list[int]) -> None:
    OutboxEvent.objects.filter(pk__in=ids).update(sent_at=timezone.now())


def relay_pending(*, ids: Iterable[int] | None = None, limit: int = 100) -> int:
    """Publishes the ``ids`` given, or up to ``limit`` pending events, oldest first.

    Returns how many were published. Raises BrokerUnavailable after marking
    what did go out; the failed event and those after it stay pending.
    """
    failure: BrokerUnavailable | None = None
    sent: list[int] = []
    with transaction.atomic():
        rows = _claim_ids(list(ids)) if ids is not None else _claim_oldest(limit)
        if rows:
            try:
                publisher().ensure_topology()
            except BrokerUnavailable as exc:
                failure = exc
                rows = []
        for row in rows:
            try:
                publisher().publish(row.envelope)
            except BrokerUnavailable as exc:
                failure = exc
                OutboxEvent.objects.filter(pk=row.pk).update(
                    attempts=F("attempts") + 1, last_error=str(exc)[:2000]
                )
                break
            sent.append(row.pk)
        if sent:
            _mark_sent(sent)
    if failure is not None:
        raise failure
    return len(sent)


def publish_after_commit(event_pk: int) -> None:
    """The fast path: publish a just-committed event now; the relay loop covers failures.

    Never raises: the change is committed and its event is safe in the outbox.
    While the broker is failing, it stays away for a few seconds so requests
    do not wait on connection timeouts.
    """
    if not settings.EVENTS_FAST_PATH or not _fast_path_breaker.allows():
        return
    try:
        relay_pending(ids=[event_pk], limit=1)
    except BrokerUnavailable as exc:
        _fast_path_breaker.trip()
        logger.warning("broker unavailable, event %s left to the relay: %s", event_pk, exc)
    except DatabaseError:
        logger.exception("could not publish event %s now; the relay will", event_pk)
    else:
        _fast_path_breaker.reset()


def pending_stats() -> dict[str, object]:
    """Backlog size and the age in seconds of the oldest pending event."""
    oldest = (
        OutboxEvent.objects.filter(sent_at__isnull=True)
        .order_by("id")
        .values_list("created_at", flat=True)
        .first()
    )
    return {
        "pending": OutboxEvent.objects.filter(sent_at__isnull=True).count(),
        "oldest_pending_seconds": (
            round((timezone.now() - oldest).total_seconds(), 3) if oldest else 0.0
        ),
    }


def run(
    *,
    stop: threading.Event,
    batch_size: int = 100,
    poll_interval: float = 0.5,
    max_backoff: float = 30.0,
    report_every: float = 30.0,
    log: Callable[[str], None] = logger.info,
) -> int:
    """The relay loop: publish pending events until ``stop`` is set. Returns how many.

    Broker or database failures never end the loop; it waits with exponential
    backoff (0.5 s doubling up to ``max_backoff``) and tries again.
    """
    delay = 0.5
    total = reported = 0
    last_report = time.monotonic()
    log("relay started")
    try:
        publisher().ping()  # declares the topology now, not at the first event
    except BrokerUnavailable as exc:
        log(f"broker unavailable at start ({exc}); events wait in the outbox")
    while not stop.is_set():
        try:
            published = relay_pending(limit=batch_size)
        except BrokerUnavailable as exc:
            log(f"broker unavailable ({exc}); retrying in {delay:.1f} s")
            stop.wait(delay)
            delay = min(delay * 2, max_backoff)
            continue
        except DatabaseError as exc:
            log(f"database error ({exc.__class__.__name__}: {exc}); retrying in {delay:.1f} s")
            close_old_connections()
            stop.wait(delay)
            delay = min(delay * 2, max_backoff)
            continue
        delay = 0.5
        total += published
        if total != reported and time.monotonic() - last_report >= report_every:
            log(f"relayed {total} events so far; {pending_stats()['pending']} pending")
            reported, last_report = total, time.monotonic()
        if published < batch_size:
            stop.wait(poll_interval)
    log(f"relay stopped after relaying {total} events")
    return total
