"""The scheduler of a service's periodic jobs (``manage.py run_scheduler``): pruning
idempotency keys (common.operations.housekeeping) and revocations
(common.auth.revocations) in every service, and the jobs an installed app registers with
``register_jobs`` (common.events.jobs: the anti-entropy sweep, pruning sent outbox rows
and inbox ids).

Each job's lease is a row of ``EventsStatus``, locked to claim a run: any
number of schedulers may run at once (replicas, or two started by mistake) and
a job still runs once per interval. A scheduler that dies mid-run leaves the
lease to expire at the next interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.auth.revocations import prune_revocations
from common.models import EventsStatus
from common.operations import housekeeping

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: Callable[[], float]  # seconds between runs
    # (started_at, start of the run before the previous one) -> result for the status row
    run: Callable[..., dict[str, Any]]


#: What installed apps add to the jobs, each asked on every ``jobs()`` (registered from
#: ``AppConfig.ready``; common.events adds what it publishes and consumes).
_providers: list[Callable[[], list[Job]]] = []


def register_jobs(provider: Callable[[], list[Job]]) -> None:
    """Makes ``jobs()`` include ``provider()``'s jobs, before the housekeeping every
    service has (once per provider)."""
    if provider not in _providers:
        _providers.append(provider)


def jobs() -> list[Job]:
    """The jobs this service needs: what it publishes, consumes and keeps decides."""
    found = [job for provider in _providers for job in provider()]
    found.append(
        Job(
            "prune_idempotency_keys",
            housekeeping.hourly,
            housekeeping.job(housekeeping.prune_idempotency_keys),
        )
    )
    found.append(Job("prune_revocations", housekeeping.hourly, housekeeping.job(prune_revocations)))
    return found


def job_key(name: str) -> str:
    """The EventsStatus row of job ``name``."""
    return f"job:{name}"


def claim(job: Job, now: datetime) -> tuple[bool, datetime | None]:
    """Starts a run of ``job`` if it is due and no other scheduler started one within
    its interval. Returns (claimed, start of the run before the previous one)."""
    key = job_key(job.name)
    with transaction.atomic():
        EventsStatus.objects.get_or_create(name=key)
        row = EventsStatus.objects.select_for_update().get(name=key)
        if row.started_at is not None and (now - row.started_at).total_seconds() < job.every():
            return False, None
        before_previous = parse_datetime(row.data.get("previous_started_at") or "")
        row.data = {
            **row.data,
            "previous_started_at": row.started_at.isoformat() if row.started_at else None,
        }
        row.started_at = now
        row.save()
    return True, before_previous


def _finish(job: Job, result: dict[str, Any]) -> None:
    with transaction.atomic():
        row = EventsStatus.objects.select_for_update().get(name=job_key(job.name))
        row.updated_at = timezone.now()
        row.data = {**row.data, "result": result}
        row.save()


def run_due(*, log: Callable[[str], None] = logger.info) -> list[str]:
    """Runs every job that is due, once. Returns the names of those it ran."""
    ran = []
    for job in jobs():
        started_at = timezone.now()
        claimed, before_previous = claim(job, started_at)
        if not claimed:
            continue
        try:
            result = job.run(started_at=started_at, before_previous=before_previous)
        except Exception as exc:  # the next interval tries again
            logger.exception("job %s failed", job.name)
            result = {"error": f"{exc.__class__.__name__}: {exc}"[:500]}
        result["seconds"] = round((timezone.now() - started_at).total_seconds(), 3)
        _finish(job, result)
        log(f"{job.name}: {result}")
        ran.append(job.name)
    return ran


def run(*, stop: threading.Event, log: Callable[[str], None] = logger.info) -> None:
    """Runs due jobs until ``stop`` is set; database outages are waited out."""
    found = jobs()
    log(f"scheduler started: {', '.join(job.name for job in found) or 'no jobs here'}")
    tick = min([1.0, *(job.every() / 10 for job in found)])
    while not stop.is_set():
        try:
            run_due(log=log)
        except DatabaseError as exc:
            log(f"database error ({exc.__class__.__name__}: {exc}); retrying")
            close_old_connections()
        stop.wait(tick)
    log("scheduler stopped")
