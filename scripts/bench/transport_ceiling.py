"""The transport's own ceiling for `make bench-events`: Celery alone, doing nothing.

A Celery app with the consumers' settings (``common.settings.events``: late
acks, prefetch 1, the same broker options) and one task that does nothing but
note when the first and the last message ran. ``scripts/bench_events.py``
queues the messages, starts a worker on this app and reads the two times from
Redis: the rate is what one event per task message costs before any database
work, on this machine.
"""

from __future__ import annotations

import time

import redis
from celery import Celery

from common.settings import events

QUEUE = "bench.transport_ceiling"
_url = events.CELERY_BROKER_URL

app = Celery("transport_ceiling")
app.conf.update(
    {
        key.removeprefix("CELERY_").lower(): value
        for key, value in vars(events).items()
        if key.startswith("CELERY_") and key != "CELERY_IMPORTS"
    },
    task_default_queue=QUEUE,
)


@app.task(name="bench.noop")
def noop(n: int, last: int) -> None:
    if n in (0, last):
        redis.Redis.from_url(_url).set(f"{QUEUE}.{'first' if n == 0 else 'last'}", time.time())
