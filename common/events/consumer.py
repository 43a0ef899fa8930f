"""Consuming events: a registry of handlers and the Celery tasks ``events.handle``
(one event) and ``events.handle_batch`` (several, in publish order). Either also
applies the event messages waiting behind it in the queue (``common.events.waiting``).

A handler runs inside one transaction together with the inbox row that
records the event's id, so an event is applied at most once in effect however
often the broker delivers it. A batch is applied in one transaction (its inbox
rows in one statement); if anything in it fails, it is rolled back and its
events are applied one at a time, so a poison event fails alone. A failing
event is retried with exponential backoff; after ``EVENTS_MAX_ATTEMPTS`` it is
parked in the dead-letter table, from which ``manage.py replay_dead_letters``
re-runs it.
"""

from __future__ import annotations

import collections
import itertools
import logging
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from celery import shared_task, signals
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.events import waiting
from common.events.models import DeadLetter, InboxEvent
from common.events.statements import insert_returning_keys
from common.operations import metrics, tracing
from common.operations.logging_setup import bind_event

logger = logging.getLogger("common.events.consumer")

Handler = Callable[[dict[str, Any]], None]
_handlers: dict[str, Handler] = {}


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Registers the decorated function as the handler of ``event_types``."""

    def register(handler: Handler) -> Handler:
        for event_type in event_types:
            existing = _handlers.get(event_type)
            if existing is not None and existing is not handler:
                raise ValueError(f"{event_type} already handled by {existing.__qualname__}")
            _handlers[event_type] = handler
        return handler

    return register


def handler_for(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def _wanted(envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The envelopes whose handlers want them, in order.

    A handler offering ``wants(envelope)`` declines, one event at a time, the events
    it would do nothing with; one offering ``wants_many(envelopes)`` (which returns
    those it wants) does so for all its events of the batch at once, with one read
    where ``wants`` would take one each: a sweep's burst of repeats of copies that
    already have those versions costs a statement per message instead of a
    transaction. Declined events
    cost no transaction and no inbox row, since applying nothing twice is as harmless
    as once. Both run outside the batch's transaction: they may read what committed,
    never write, and must keep every event that could still change something (an
    event declined on a stale read is one that a newer state already covers).
    """
    by_handler: dict[Handler, list[dict[str, Any]]] = {}
    for envelope in envelopes:
        by_handler.setdefault(_handlers[envelope["type"]], []).append(envelope)
    kept: set[int] = set()
    for handler, events in by_handler.items():
        wants_many = getattr(handler, "wants_many", None)
        wants = getattr(handler, "wants", None)
        if wants_many is not None:
            kept.update(id(envelope) for envelope in wants_many(events))
        elif wants is not None:
            kept.update(id(envelope) for envelope in events if wants(envelope))
        else:
            kept.update(id(envelope) for envelope in events)
    wanted = []
    for envelope in envelopes:
        if id(envelope) in kept:
            wanted.append(envelope)
        else:
            logger.debug("%s %s needs nothing here; dropped", envelope["type"], envelope["id"])
    return wanted


def handled_types() -> frozenset[str]:
    """The event types this process has handlers for."""
    return frozenset(_handlers)


def process_event(envelope: dict[str, Any]) -> bool:
    """Applies an event once. Returns False for a duplicate or an event nobody handles.

    Raises whatever the handler raises; nothing of it (inbox row included) commits.
    """
    return process_batch([envelope]) == 1


def process_batch(envelopes: list[dict[str, Any]]) -> int:
    """Applies events in one transaction, in order, each once. Returns how many were
    applied (not duplicates, not events nobody handles or whose handler declines them
    through its ``wants`` or ``wants_many``, see ``_wanted``).

    A handler offering ``prepare_batch`` sees all its events of a batch of two or
    more first (``_prepare``: e.g. to lock every row they touch in one sorted
    statement), unless they all go to its ``apply_many`` in one call, which must then
    lock them as ``prepare_batch`` would.
    Consecutive events whose handler offers ``apply_many`` (a copy kept by
    ``common.events.snapshots.copies``) go to it together, so a run of copies costs
    a few statements, not a few per event.

    Raises whatever a handler raises; nothing of the batch commits then.
    """
    handled = []
    for envelope in envelopes:
        if handler_for(envelope["type"]) is None:
            logger.info("no handler for %s; event %s ignored", envelope["type"], envelope["id"])
        else:
            handled.append(envelope)
    handled = _wanted(handled)
    if not handled:
        return 0
    with transaction.atomic():
        new = _record_in_inbox(handled)
        fresh = []
        for envelope in handled:
            event_id = uuid.UUID(str(envelope["id"]))
            if event_id not in new:
                logger.info("event %s already applied; duplicate dropped", envelope["id"])
                continue
            new.discard(event_id)  # the same event twice in one batch: once
            fresh.append(envelope)
        if len(fresh) > 1:
            _prepare(fresh)
        for handler, run in _runs(fresh):
            apply_many = getattr(handler, "apply_many", None)
            if apply_many is not None:
                apply_many(run)
                continue
            for envelope in run:
                with bind_event(envelope), tracing.event_span(envelope, "apply"):
                    handler(envelope)
    for envelope in fresh:  # committed: now they count
        with bind_event(envelope):
            logger.info("applied %s version %s", envelope["type"], envelope.get("version"))
        metrics.event_applied(envelope)
    return len(fresh)


def _prepare(envelopes: list[dict[str, Any]]) -> None:
    """Calls each handler's ``prepare_batch`` (if it offers one) once, with all the
    batch's events it will apply, before any event is applied.

    The place for a batch to take its row locks in one global order (sorted, in one
    ``SELECT ... FOR UPDATE``): locking event by event, two batches whose events
    cross would lock in crossing orders and deadlock each other. A handler that will
    take all its events of the batch in one call, at once (one run to its
    ``apply_many``), is not prepared: it locks in that same order itself, and locking
    twice would cost two statements of every batch. Neither is a batch of one event,
    for the same reason.
    """
    by_handler: dict[Handler, list[dict[str, Any]]] = {}
    for envelope in envelopes:
        handler = handler_for(envelope["type"])
        if handler is not None:
            by_handler.setdefault(handler, []).append(envelope)
    runs = collections.Counter(handler for handler, _run in _runs(envelopes))
    for handler, events in by_handler.items():
        prepare_batch = getattr(handler, "prepare_batch", None)
        if prepare_batch is None:
            continue
        if runs[handler] == 1 and getattr(handler, "apply_many", None) is not None:
            continue
        prepare_batch(events)


def _runs(envelopes: list[dict[str, Any]]) -> Iterator[tuple[Handler, list[dict[str, Any]]]]:
    """The envelopes in order, cut where the handler changes."""
    for handler, run in itertools.groupby(envelopes, key=lambda e: handler_for(e["type"])):
        yield handler, list(run)


def _record_in_inbox(envelopes: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Inserts the inbox rows in one statement; returns the ids that were not there.

    ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: one round trip, no savepoint.
    A concurrent delivery of the same event waits on the primary key until the
    first transaction ends, then finds the row.
    """
    now = timezone.now()
    rows = {
        uuid.UUID(str(envelope["id"])): {
            "event_id": uuid.UUID(str(envelope["id"])),
            "type": envelope["type"],
            "source": envelope.get("source", ""),
            "aggregate_id": str(envelope.get("aggregate_id", "")),
            "version": envelope.get("version", 0),
            "repeat": bool(envelope.get("repeat")),
            "received_at": now,
        }
        for envelope in envelopes
    }
    fields = [InboxEvent._meta.get_field(name) for name in next(iter(rows.values()))]
    return insert_returning_keys(InboxEvent, fields, list(rows.values()), on_conflict="DO NOTHING")


def park(envelope: dict[str, Any], error: BaseException, attempts: int) -> DeadLetter:
    """Stores an event that keeps failing, with the last error, for a later replay."""
    text = "".join(traceback.format_exception(error))[-8000:]
    letter, _ = DeadLetter.objects.update_or_create(
        event_id=envelope["id"],
        defaults={
            "type": envelope["type"],
            "envelope": envelope,
            "error": text,
            "attempts": attempts,
            "replayed_at": None,
        },
    )
    logger.error(
        "event %s (%s) parked after %s attempts", envelope["id"], envelope["type"], attempts
    )
    metrics.event_parked(envelope)
    return letter


def retry_delay(attempt: int) -> float:
    """Seconds before retry number ``attempt`` (1-based): base x 2^(attempt-1), capped."""
    base = settings.EVENTS_RETRY_BASE_SECONDS
    return min(base * 2 ** (attempt - 1), settings.EVENTS_RETRY_MAX_SECONDS)


@signals.task_prerun.connect
def _fresh_connections(task: Any = None, **kwargs: Any) -> None:
    # What Django does around each request: drop connections that broke or aged out,
    # since the worker keeps them across tasks (CELERY_DB_REUSE_MAX). Not for a task run
    # eagerly inside the caller's transaction, whose connection must stay open.
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()


def _take_waiting(task: Any, envelopes: list[dict[str, Any]]) -> waiting.Taken:
    """The event messages waiting behind this one (``common.events.waiting``); none for
    a task run eagerly (no broker) or a retry (it runs alone, at its time)."""
    request = task.request
    queue = settings.EVENTS_CONSUMER_QUEUE
    if request.is_eager or request.retries or request.eta or not queue:
        return waiting.Taken()
    return waiting.take_waiting(queue=queue, events=len(envelopes))


@shared_task(
    name="events.handle",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,
)
def handle_event(task: Any, envelope: dict[str, Any]) -> None:
    taken = _take_waiting(task, [envelope])
    if taken.messages:
        _apply_with(taken, [envelope])
        return
    attempt = task.request.retries + 1
    with bind_event(envelope):
        try:
            process_event(envelope)
        except Exception as exc:
            if attempt >= settings.EVENTS_MAX_ATTEMPTS:
                park(envelope, exc, attempt)
                return
            queue = settings.EVENTS_CONSUMER_QUEUE
            logger.warning("event %s failed (attempt %s): %r", envelope["id"], attempt, exc)
            metrics.event_retried(envelope)
            # Back to this service's own queue only: re-publishing on the topic exchange
            # would deliver the event again to every other service bound to it.
            raise task.retry(
                exc=exc, countdown=retry_delay(attempt), queue=queue, exchange="", routing_key=queue
            ) from exc


@shared_task(
    name="events.handle_batch",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def handle_batch(task: Any, envelopes: list[dict[str, Any]]) -> None:
    """Applies a batch, and the event messages waiting behind it, in one transaction;
    on any failure, their events one at a time (``apply_batch``)."""
    _apply_with(_take_waiting(task, envelopes), envelopes)


def _apply_with(taken: waiting.Taken, envelopes: list[dict[str, Any]]) -> None:
    """``apply_batch`` of ``envelopes`` and the events ``taken``; the messages taken
    are acknowledged once it returns, given back to the queue if it raises."""
    if taken.messages:
        logger.info(
            "applying %s waiting messages (%s events) with this one's %s",
            len(taken.messages),
            len(taken.envelopes),
            len(envelopes),
        )
    try:
        apply_batch([*envelopes, *taken.envelopes])
    except BaseException:
        taken.give_back()
        raise
    taken.acknowledge()


def apply_batch(envelopes: list[dict[str, Any]]) -> None:
    """Applies a batch in one transaction; on any failure, its events one at a time.

    An event that fails alone is sent back to this service's queue as an
    ``events.handle`` on its second attempt (or parked, when one attempt is all
    there is); its neighbours apply. The message is acknowledged only after all
    that, so a worker killed meanwhile has the whole batch delivered again, and
    the inbox drops what had already committed.
    """
    try:
        process_batch(envelopes)
        return
    except Exception as exc:
        logger.warning(
            "batch of %s events failed (%r); applying them one at a time", len(envelopes), exc
        )
    for envelope in envelopes:
        try:
            process_event(envelope)
        except Exception as exc:
            if settings.EVENTS_MAX_ATTEMPTS <= 1:
                park(envelope, exc, 1)
                continue
            queue = settings.EVENTS_CONSUMER_QUEUE
            with bind_event(envelope):
                logger.warning("event %s failed (attempt 1): %r", envelope["id"], exc)
            metrics.event_retried(envelope)
            handle_event.apply_async(
                args=[envelope],
                task_id=envelope["id"],
                retries=1,
                countdown=retry_delay(1),
                queue=queue,
                exchange="",
                routing_key=queue,
            )


def replay_dead_letters(
    *, letters: QuerySet[DeadLetter] | None = None, log: Callable[[str], None] = logger.info
) -> tuple[int, int]:
    """Re-runs parked events (all, or ``letters``), oldest first. Returns (replayed, failing).

    An event already applied meanwhile is not applied again (the inbox drops it).
    """
    replayed = failed = 0
    pending = (letters if letters is not None else DeadLetter.objects.all()).filter(
        replayed_at__isnull=True
    )
    for letter in pending.order_by("id"):
        try:
            process_event(letter.envelope)
        except Exception as exc:
            failed += 1
            letter.attempts += 1
            letter.error = "".join(traceback.format_exception(exc))[-8000:]
            letter.save(update_fields=["attempts", "error", "updated_at"])
            log(f"{letter.type} {letter.event_id}: still failing ({exc!r})")
            continue
        letter.replayed_at = timezone.now()
        letter.save(update_fields=["replayed_at", "updated_at"])
        replayed += 1
        log(f"{letter.type} {letter.event_id}: replayed")
    return replayed, failed
