"""The Celery app of a service that consumes events (its ``<service>/celery.py`` calls this).

Each consuming service runs one worker on its own queue:
``celery -A <service>.celery worker -Q <service>.events``.
"""

from __future__ import annotations

import os

import django
from celery import Celery, signals

from common.development.devfiles import ensure_dev_files
from common.events import topology
from common.events.watchdog import StuckChannelWatch
from common.operations.priority import yield_cpu_to_requests


def create_app(service: str, settings_module: str | None = None) -> Celery:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module or f"{service}.settings")
    ensure_dev_files(service)
    django.setup()
    from django.conf import settings

    app = Celery(service)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    # Celery's Django fixup closes the database connection around every task unless
    # told to reuse it; reconnecting per event costs more than handling the event.
    # Django's own CONN_MAX_AGE and health checks still retire broken connections.
    app.conf.CELERY_DB_REUSE_MAX = 1000
    if settings.EVENTS_CONSUMER_QUEUE:
        app.conf.task_queues = [topology.queue(settings.EVENTS_CONSUMER_QUEUE)]
        app.conf.task_default_queue = settings.EVENTS_CONSUMER_QUEUE
    app.steps["consumer"].add(StuckChannelWatch)
    return app


@signals.worker_ready.connect
def _declare_topology(sender: object = None, **kwargs: object) -> None:
    # Queues of other services too: their events may be published through this broker
    # before they ever start, and Redis drops messages no queue is bound for.
    with sender.app.connection_for_write() as connection:
        topology.declare(connection)


@signals.worker_init.connect
def _yield_cpu(**kwargs: object) -> None:
    # Before the pool forks: every child inherits the priority.
    yield_cpu_to_requests()
