"""Copies converge whatever the transport does: the anti-entropy sweep.

A broker can lose a message the relay has already marked sent (kombu's Redis
transport pops a message before recording it as unacknowledged, so a worker
killed in between loses it; a broker restarted without its data loses its
queues). The outbox cannot see that, so each publishing service repairs it
itself, on a schedule (``manage.py run_scheduler``):

- every sweep re-publishes, as repeats at their current version, the current
  state of every aggregate with an event sent since the start of the sweep
  before the previous one (so each sent event is covered by at least two
  sweeps, however late the scheduler runs), and of every *unsettled* aggregate
  (waiting on another service's answer, like a finished order whose stock is
  pending), however old, unless the publication knows its answer is on its way
  (``publishes(unsettled_due=...)``: an order queued behind others that were
  answered is not asked again while the backlog drains);
- consumers drop a repeat whose version they have (the version gate), and a
  copy that was behind catches up.

A repeat that moves a copy forward is a repair (logged, counted in ``/readyz`` and
the ``events_repairs`` metric) only when an event really was late or lost: when the
copy had lagged its source longer than ``EVENTS_REPAIR_AFTER_SECONDS``, or, for a
copy caught up sooner, when the original event of that version has still not reached
the inbox that long after the repeat (``confirm_repairs``, on the consumer's
scheduler). A repeat that merely overtook its original (a relay restarting holds
events for a few seconds) is not a repair.

Sweeps run every third of ``EVENTS_CONVERGENCE_SECONDS`` (the bound, 300 s by
default): a lost event is repaired by the next sweep, and a repair that is
lost too by the one after, both within the bound.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import router, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.events.models import InboxEvent, OutboxEvent
from common.events.recording import Publication, publications, republish_all
from common.events.relay import pending_stats
from common.models import EventsStatus
from common.operations import metrics
from common.operations.scheduler import job_key

logger = logging.getLogger("common.events.convergence")

SWEEP_JOB = "sweep"
REPAIRS = "repairs"
_CHUNK = 100


def bound() -> float:
    """Seconds within which every copy reaches its source's version."""
    return float(settings.EVENTS_CONVERGENCE_SECONDS)


def sweep_interval() -> float:
    return bound() / 3


def sweep(*, since: datetime) -> int:
    """Re-publishes every aggregate with an event (not a repeat) sent at or after
    ``since``, every one changed since then whose change another aggregate's event
    carried (``publishes(carried=True)``), and every unsettled one (those its
    publication's ``unsettled_due`` names, when it has one; the other unsettled ones
    not at all). Returns how many repeats were recorded.

    Takes no row lock: a sweep re-publishes hundreds of aggregates at once, and
    holding them locked while their repeats are written would hold up the changes
    that arrive meanwhile (a reservation waiting on its products). An aggregate
    changed while it is swept is re-published at the version committed before; the
    change's own event carries the newer one, and every consumer's version gate keeps
    the newest whatever order they arrive in.
    """
    return sum(_sweep_publication(publication, since) for publication in publications())


def _sweep_publication(publication: Publication, since: datetime) -> int:
    model = publication.model
    pk = model._meta.pk
    sent = (
        OutboxEvent.objects.filter(
            aggregate_type=publication.type_prefix, repeat=False, sent_at__gte=since
        )
        .values_list("aggregate_id", flat=True)
        .distinct()
    )
    wanted = {pk.to_python(aggregate_id) for aggregate_id in sent}
    if publication.carried:  # changes whose event was another aggregate's
        wanted |= set(
            model._default_manager.filter(updated_at__gte=since).values_list("pk", flat=True)
        )
    if publication.unsettled is not None:
        unsettled = set(
            model._default_manager.filter(publication.unsettled).values_list("pk", flat=True)
        )
        due = (
            unsettled if publication.unsettled_due is None else publication.unsettled_due(unsettled)
        )
        wanted = (wanted - unsettled) | due
    ordered = sorted(wanted, key=str)
    count = 0
    for start in range(0, len(ordered), _CHUNK):
        with transaction.atomic(using=router.db_for_write(model)):
            rows = model._default_manager.filter(pk__in=ordered[start : start + _CHUNK])
            count += len(republish_all(list(rows.order_by("pk"))))
    return count


def run_sweep(*, started_at: datetime, before_previous: datetime | None) -> dict[str, Any]:
    """The scheduler's sweep job: covers events sent since the start of the run
    before the previous one (two runs back), or two intervals when there is none."""
    since = before_previous or started_at - timedelta(seconds=2 * sweep_interval())
    return {
        "since": since.isoformat(),
        "republished": sweep(since=since),
        "oldest_known_lag_seconds": pending_stats()["oldest_pending_seconds"],
    }


def repair_after() -> float:
    """Seconds a copy may lag, or an original event may trail its repeat, before the
    repeat counts as a repair."""
    return float(settings.EVENTS_REPAIR_AFTER_SECONDS)


def note_repair(envelope: dict[str, Any], *, from_version: int) -> None:
    """A repeat moved a copy forward from ``from_version``: records a repair when the
    copy lagged longer than ``repair_after()``; otherwise marks the repeat's inbox row,
    and ``confirm_repairs`` counts it later only if the original never arrives.

    Runs inside the handler's transaction (after the repeat's inbox row was written),
    so it commits with the repair.
    """
    occurred_at = parse_datetime(str(envelope.get("occurred_at", "")))
    lagged = round((timezone.now() - occurred_at).total_seconds(), 3) if occurred_at else None
    if lagged is not None and lagged <= repair_after():
        InboxEvent.objects.filter(event_id=envelope["id"]).update(repaired_from=from_version)
        return
    _record_repair(
        event_type=envelope["type"],
        aggregate_id=str(envelope["aggregate_id"]),
        from_version=from_version,
        to_version=envelope["version"],
        lagged=lagged,
        original_lost=False,
    )


def confirm_repairs(*, now: datetime | None = None) -> int:
    """Decides the repeats ``note_repair`` marked at least ``repair_after()`` ago: a
    repair when no original (not a repeat) of that aggregate and version reached the
    inbox (it was lost), none when one did (the repeat had overtaken it). Returns how
    many were repairs. Each decision commits on its own."""
    cutoff = (now or timezone.now()) - timedelta(seconds=repair_after())
    due = InboxEvent.objects.filter(repaired_from__isnull=False, received_at__lte=cutoff)
    repairs = 0
    for suspect in due.order_by("received_at"):
        prefix = suspect.type.rsplit(".", 1)[0]
        with transaction.atomic():
            arrived = InboxEvent.objects.filter(
                source=suspect.source,
                aggregate_id=suspect.aggregate_id,
                version=suspect.version,
                type__startswith=f"{prefix}.",
                repeat=False,  # the next sweep's repeat of it is no original
            ).exists()
            if not arrived:
                _record_repair(
                    event_type=suspect.type,
                    aggregate_id=suspect.aggregate_id,
                    from_version=suspect.repaired_from,
                    to_version=suspect.version,
                    lagged=None,
                    original_lost=True,
                )
                repairs += 1
            InboxEvent.objects.filter(pk=suspect.pk).update(repaired_from=None)
    return repairs


def run_confirm_repairs(
    *, started_at: datetime, before_previous: datetime | None
) -> dict[str, Any]:
    """The scheduler's job of a consuming service: ``confirm_repairs``."""
    return {"repairs": confirm_repairs(now=started_at)}


def _record_repair(
    *,
    event_type: str,
    aggregate_id: str,
    from_version: int,
    to_version: int,
    lagged: float | None,
    original_lost: bool,
) -> None:
    now = timezone.now()
    last = {
        "at": now.isoformat(),
        "type": event_type,
        "aggregate_id": aggregate_id,
        "from_version": from_version,
        "to_version": to_version,
        "lagged_seconds": lagged,
        "original_lost": original_lost,
    }
    if original_lost:
        logger.warning(
            "copy of %s %s repaired from v%s to v%s; the original event never arrived",
            event_type,
            aggregate_id,
            from_version,
            to_version,
        )
    else:
        logger.warning(
            "copy of %s %s repaired from v%s to v%s; it lagged its source %s s",
            event_type,
            aggregate_id,
            from_version,
            to_version,
            lagged,
        )
    EventsStatus.objects.get_or_create(name=REPAIRS)
    status = EventsStatus.objects.select_for_update().get(name=REPAIRS)
    status.data = {"count": status.data.get("count", 0) + 1, "last": last}
    status.updated_at = now
    status.save()
    transaction.on_commit(lambda: metrics.event_repaired(event_type))


def readiness_check() -> dict[str, Any]:
    """Staleness for ``/readyz``: informative, never makes the service unready.

    ``oldest_known_lag_seconds`` is the age of the oldest event not yet
    published: every copy of that aggregate lags its source at least that much.
    ``sweep_overdue`` says the scheduler has not swept for two intervals.
    """
    sweep_key = job_key(SWEEP_JOB)
    rows = {row.name: row for row in EventsStatus.objects.filter(name__in=[sweep_key, REPAIRS])}
    now = timezone.now()
    sweep_row = rows.get(sweep_key)
    last_run = sweep_row.started_at if sweep_row else None
    age = round((now - last_run).total_seconds(), 3) if last_run else None
    repairs = rows[REPAIRS].data if REPAIRS in rows else {}
    return {
        "name": "convergence",
        "ok": True,
        "bound_seconds": bound(),
        "oldest_known_lag_seconds": pending_stats()["oldest_pending_seconds"],
        "sweep_last_run_at": last_run.isoformat() if last_run else None,
        "sweep_age_seconds": age,
        "sweep_overdue": bool(publications()) and (age is None or age > 2 * sweep_interval()),
        "repairs": repairs.get("count", 0),
        "last_repair": repairs.get("last"),
    }
