"""The scheduler's jobs of a service with events (common.operations.scheduler runs them)."""

from __future__ import annotations

from common.events import convergence
from common.events.consumer import handled_types
from common.events.housekeeping import prune_inbox, prune_outbox
from common.events.recording import publications
from common.operations import housekeeping
from common.operations.scheduler import Job


def event_jobs() -> list[Job]:
    """What this service publishes and consumes decides: the anti-entropy sweep and
    pruning the outbox where it publishes; pruning the inbox and deciding suspected
    repairs where it consumes."""
    found = []
    if publications():
        found.append(Job(convergence.SWEEP_JOB, convergence.sweep_interval, convergence.run_sweep))
        found.append(Job("prune_outbox", housekeeping.hourly, housekeeping.job(prune_outbox)))
    if handled_types():
        found.append(Job("prune_inbox", housekeeping.hourly, housekeeping.job(prune_inbox)))
        found.append(
            Job("confirm_repairs", convergence.repair_after, convergence.run_confirm_repairs)
        )
    return found
