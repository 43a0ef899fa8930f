"""Moving recorded events from the outbox to the broker: ``manage.py relay_outbox``.

The request that commits a change does not publish it. On PostgreSQL the
transaction that writes an outbox row also sends ``NOTIFY`` (the outbox table's
trigger; delivered only on commit); the relay LISTENs and wakes at once, and polls
about once a second so a lost notification delays little. On SQLite it polls about every 50 ms.

Each pass claims up to 100 pending rows, oldest first, in one statement that is
its own short transaction (autocommit: one round trip, no BEGIN and COMMIT of their
own): it leases them (``claimed_until``, ``EVENTS_RELAY_LEASE_SECONDS``; ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so several relays share the work), keeping only the rows
whose aggregate has no earlier event still pending elsewhere (leased by another
relay or not yet claimed), so an aggregate's events leave in version order, also
with two relays. Then, with no transaction open, it publishes them as one message
per event type, cut where an aggregate's order needs it (``batches``;
``events.handle_batch``, at most 100 events and 256 KiB; every broker call ends
within ``EVENTS_BROKER_TIMEOUT``), and marks the ones
the broker accepted sent in a second one-statement transaction, only where its lease
still holds. When a message fails, every row of the pass not yet sent is released at
once.

No database transaction or lock is held while the relay talks to the broker, so a
frozen or black-holed broker never makes an API write wait (on SQLite the write
transaction is the database's only write lock). Delivery is at least once: a relay
that dies after publishing and before marking leaves its rows to the next claim
once the lease ends; they are published again and consumers drop the duplicate by
event id.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from common.events.models import OutboxEvent
from common.events.recording import NOTIFY_CHANNEL
from common.events.transport import BrokerUnavailable, publisher
from common.operations import metrics, tracing
from common.operations.logging_setup import bind_event

logger = logging.getLogger("common.events.relay")

#: At most this many events per message, and at most this many bytes of envelopes.
BATCH_EVENTS = 100
BATCH_BYTES = 256 * 1024
#: See ``run``'s ``linger``.
LINGER_SECONDS = 0.01


#: Leases the oldest claimable rows (pending, and never leased or with an expired
#: lease) to one pass, in one statement. A row is taken only when no earlier event of
#: its aggregate is pending outside the claim (leased by another relay, or left out
#: here), so an aggregate's events leave in version order.
_CLAIM = """
WITH claimed AS (
    SELECT id, aggregate_type, aggregate_id FROM {table}
    WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < %s)
    ORDER BY id LIMIT %s {lock}
)
UPDATE {table} SET claimed_until = %s, claim = %s
WHERE id IN (
    SELECT claimed.id FROM claimed WHERE NOT EXISTS (
        SELECT 1 FROM {table} earlier
        WHERE earlier.sent_at IS NULL
          AND earlier.aggregate_type = claimed.aggregate_type
          AND earlier.aggregate_id = claimed.aggregate_id
          AND earlier.id < claimed.id
          AND earlier.id NOT IN (SELECT id FROM claimed)
    )
)
RETURNING id, type, aggregate_type, aggregate_id, envelope
"""


def lease_seconds() -> float:
    return float(settings.EVENTS_RELAY_LEASE_SECONDS)


def claim_pending(*, limit: int, claim: uuid.UUID) -> list[OutboxEvent]:
    """Leases up to ``limit`` pending rows, oldest first, to ``claim``, in one statement.
    Returns them in id order. Called outside any transaction (as the relay calls it),
    the statement is its own transaction, committed when this returns; within one,
    it is part of it.

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several relays share the work; on
    SQLite a writing statement already holds the database's one write lock.
    """
    lock = "FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    table = connection.ops.quote_name(OutboxEvent._meta.db_table)
    statement = _CLAIM.format(table=table, lock=lock)
    now = timezone.now()
    params = [
        connection.ops.adapt_datetimefield_value(now),
        limit,
        connection.ops.adapt_datetimefield_value(now + timedelta(seconds=lease_seconds())),
        OutboxEvent._meta.get_field("claim").get_db_prep_value(claim, connection),
    ]
    rows = list(OutboxEvent.objects.raw(statement, params))
    return sorted(rows, key=lambda row: row.pk)


def _mark_sent(rows: list[OutboxEvent], claim: uuid.UUID) -> int:
    """Marks ``rows`` sent where ``claim`` still holds them, in one statement (its own
    transaction, as ``claim_pending``'s); returns how many. A row whose lease ran out
    and which another pass claimed is that pass's to publish again."""
    return OutboxEvent.objects.filter(pk__in=[row.pk for row in rows], claim=claim).update(
        sent_at=timezone.now(), claimed_until=None
    )


def _release(
    rows: list[OutboxEvent], claim: uuid.UUID, failed: list[OutboxEvent], error: str
) -> None:
    """Gives ``rows`` back to the next claim at once; ``failed``, the message the broker
    did not take, counts an attempt."""
    with transaction.atomic():
        OutboxEvent.objects.filter(pk__in=[row.pk for row in failed], claim=claim).update(
            attempts=F("attempts") + 1, last_error=error[:2000]
        )
        OutboxEvent.objects.filter(pk__in=[row.pk for row in rows], claim=claim).update(
            claimed_until=None, claim=None
        )


def batches(rows: list[OutboxEvent]) -> list[list[OutboxEvent]]:
    """The messages that carry ``rows`` (in id order), in the order to send them: each of
    one event type (its routing key), of at most BATCH_EVENTS events and BATCH_BYTES
    bytes of envelopes, its rows in id order.

    A row joins the last message of its type unless that one is full or an event of the
    row's aggregate went into a later message; else it starts a message at the end. So
    an aggregate's events leave in version order, while two types interleaved in the
    outbox (one order placed, the answer to another) cost a message per type, not one
    per row.
    """
    messages: list[list[OutboxEvent]] = []
    sizes: list[int] = []
    last_of_type: dict[str, int] = {}
    last_of_aggregate: dict[tuple[str, str], int] = {}
    for row in rows:
        row_size = len(json.dumps(row.envelope, separators=(",", ":")))
        aggregate = (row.aggregate_type, row.aggregate_id)
        index = last_of_type.get(row.type)
        if (
            index is None
            or index < last_of_aggregate.get(aggregate, -1)
            or len(messages[index]) == BATCH_EVENTS
            or sizes[index] + row_size > BATCH_BYTES
        ):
            messages.append([])
            sizes.append(0)
            index = last_of_type[row.type] = len(messages) - 1
        messages[index].append(row)
        sizes[index] += row_size
        last_of_aggregate[aggregate] = index
    return messages


def relay_pending(*, limit: int = BATCH_EVENTS) -> int:
    """Publishes up to ``limit`` pending events, oldest first.

    Returns how many were published. Call it outside any transaction: it commits
    its claim before talking to the broker, and marks what went out after. Raises
    BrokerUnavailable after marking what did go out; the failed batch and those
    after it are released, pending again.
    """
    claim = uuid.uuid4()
    rows = claim_pending(limit=limit, claim=claim)
    if not rows:
        return 0
    failure: BrokerUnavailable | None = None
    failed: list[OutboxEvent] = []
    sent: list[OutboxEvent] = []
    try:
        publisher().ensure_topology()
    except BrokerUnavailable as exc:
        failure = exc
    for batch in batches(rows) if failure is None else ():
        try:
            publisher().publish([row.envelope for row in batch])
        except BrokerUnavailable as exc:
            failure, failed = exc, batch
            break
        sent.extend(batch)
    marked = _mark_sent(sent, claim) if sent else 0
    if marked < len(sent):
        logger.warning(
            "%s published events were claimed again after this pass's lease ended; "
            "they will be published again (consumers drop the repeat)",
            len(sent) - marked,
        )
    for row in sent:
        with bind_event(row.envelope), tracing.event_span(row.envelope, "publish"):
            logger.info("published %s", row.envelope["type"])
        metrics.event_published(row.envelope)
    if failure is not None:
        published = {row.pk for row in sent}
        _release([row for row in rows if row.pk not in published], claim, failed, str(failure))
        raise failure
    return len(sent)


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


class Wakeup:
    """Waits for the next outbox commit: LISTEN/NOTIFY on PostgreSQL, a sleep elsewhere.

    Listens on this thread's database connection (autocommit between passes);
    psycopg keeps notifications that arrive during other queries for the next wait.
    Behind a transaction pooler (``DATABASE_POOL_MODE=transaction``), where a
    session's LISTEN means nothing, it listens on a direct connection of its own
    (``EVENTS_LISTEN_DATABASE_URL``), or only sleeps when there is none.
    """

    def __init__(self) -> None:
        self._listening: object | None = None
        self._direct: psycopg.Connection | None = None

    def _listener(self) -> Any:
        """The raw connection to wait on, or None to sleep instead."""
        if connection.vendor != "postgresql":
            return None
        if settings.DATABASE_POOL_MODE != "transaction":
            connection.ensure_connection()
            return connection.connection
        url = settings.EVENTS_LISTEN_DATABASE_URL
        if url is None:
            return None
        if self._direct is None or self._direct.closed:
            self._direct = psycopg.connect(url, autocommit=True, connect_timeout=5)
        return self._direct

    def wait(self, seconds: float, stop: threading.Event) -> None:
        try:
            raw = self._listener()
        except psycopg.Error as exc:
            raise DatabaseError(str(exc)) from exc
        if raw is None:
            stop.wait(seconds)
        elif raw is self._direct:
            try:
                self._listen(raw, seconds)
            except psycopg.Error as exc:
                self._direct = None  # reconnect at the next wait
                raise DatabaseError(str(exc)) from exc
        else:
            with connection.wrap_database_errors:  # a lost connection is a DatabaseError
                self._listen(raw, seconds)

    def close(self) -> None:
        """Closes the direct connection, if one was opened."""
        if self._direct is not None:
            self._direct.close()
            self._direct = None

    def _listen(self, raw: Any, seconds: float) -> None:
        if self._listening is not raw:  # a new connection: LISTEN again
            raw.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self._listening = raw
        for _ in raw.notifies(timeout=seconds, stop_after=1):
            break
        for _ in raw.notifies(timeout=0):  # the rest of this burst: one pass covers it
            pass


def default_poll_interval() -> float:
    """About 1 s where commits notify the relay (PostgreSQL), 50 ms elsewhere."""
    return 1.0 if connection.vendor == "postgresql" else 0.05


def run(
    *,
    stop: threading.Event,
    batch_size: int = BATCH_EVENTS,
    poll_interval: float | None = None,
    linger: float = LINGER_SECONDS,
    max_backoff: float = 30.0,
    report_every: float = 30.0,
    log: Callable[[str], None] = logger.info,
) -> int:
    """The relay loop: publish pending events until ``stop`` is set. Returns how many.

    Broker or database failures never end the loop; it waits with exponential
    backoff (0.5 s doubling up to ``max_backoff``) and tries again.

    ``linger``: when the last pass published something (events keep coming), a
    wakeup waits this long before claiming, so the commits right behind the one
    that woke the relay travel in the same message: fewer passes and messages per
    event, which under steady load costs less latency than it saves. After a quiet
    pass the first commit leaves at once.
    """
    poll = poll_interval if poll_interval is not None else default_poll_interval()
    wakeup = Wakeup()
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
            if published < batch_size:
                wakeup.wait(poll, stop)
                if published and linger:
                    stop.wait(linger)
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
    wakeup.close()
    log(f"relay stopped after relaying {total} events")
    return total
