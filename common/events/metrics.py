"""The gauges of a service with events read when Prometheus scrapes its ``/metrics``:
outbox backlog, dead letters waiting, its queue's depth. The events app registers
``StateCollector`` with ``common.operations.metrics.register_scrape_collector``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

from django.conf import settings
from django.db import connection
from kombu import Connection
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from common.events import relay
from common.events.models import DeadLetter
from common.events.transport import transport_options

logger = logging.getLogger(__name__)


def _in_thread(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """Runs ``function`` on a daemon thread of its own: one that hangs is abandoned and
    holds up no later scrape."""
    future: Future[Any] = Future()

    def run() -> None:
        try:
            future.set_result(function(*args))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=run, name="metrics-state", daemon=True).start()
    return future


class StateCollector(Collector):
    """Gauges read at scrape time: outbox backlog, dead letters waiting, queue depth.

    Each read runs on its own thread and is abandoned after METRICS_READ_TIMEOUT
    seconds (PostgreSQL also gets that as its statement_timeout), so a hung
    database or broker makes a scrape incomplete, never stuck.
    ``metrics_state_read_ok{read}`` says which reads answered.
    """

    def collect(self) -> Iterator[GaugeMetricFamily]:
        service = settings.SERVICE_NAME
        timeout = settings.METRICS_READ_TIMEOUT
        queue = getattr(settings, "EVENTS_CONSUMER_QUEUE", None)
        deadline = time.monotonic() + timeout
        database = _in_thread(_read_database, timeout)
        broker = _in_thread(_read_queue_depth, queue, timeout) if queue else None
        ok = GaugeMetricFamily(
            "metrics_state_read_ok",
            "1 when the scrape-time read answered.",
            labels=["service", "read"],
        )
        try:
            state = database.result(timeout=max(deadline - time.monotonic(), 0))
        except Exception as exc:
            logger.warning("metrics: database read failed or timed out: %r", exc)
            ok.add_metric([service, "database"], 0)
        else:
            ok.add_metric([service, "database"], 1)
            for name, documentation, value in (
                (
                    "outbox_pending_events",
                    "Events recorded and not yet published.",
                    state["pending"],
                ),
                (
                    "outbox_oldest_pending_age_seconds",
                    "Age of the oldest event not yet published (0 when none).",
                    state["oldest_pending_seconds"],
                ),
                ("dead_letters_waiting", "Parked events not replayed yet.", state["dead_letters"]),
            ):
                yield _gauge(name, documentation, service, value)
        if broker is not None:
            try:
                depth = broker.result(timeout=max(deadline - time.monotonic(), 0))
            except Exception as exc:
                logger.warning("metrics: broker read failed or timed out: %r", exc)
                ok.add_metric([service, "broker"], 0)
            else:
                ok.add_metric([service, "broker"], 1)
                family = GaugeMetricFamily(
                    "events_queue_depth",
                    "Messages waiting in this service's consuming queue.",
                    labels=["service", "queue"],
                )
                family.add_metric([service, queue], depth)
                yield family
        yield ok


def _gauge(name: str, documentation: str, service: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["service"])
    family.add_metric([service], value)
    return family


def _read_database(timeout: float) -> dict[str, float]:
    # A thread of its own has a connection of its own, closed at the end, so a session
    # setting stays on it. No transaction: on SQLite one would take the write lock.
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # set_config, not SET: a SET takes no bound parameter.
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, false)", [str(int(timeout * 1000))]
                )
        stats = relay.pending_stats()
        dead = DeadLetter.objects.filter(replayed_at__isnull=True).count()
    finally:
        connection.close()
    return {
        "pending": float(stats["pending"]),
        "oldest_pending_seconds": float(stats["oldest_pending_seconds"]),
        "dead_letters": float(dead),
    }


def _read_queue_depth(queue: str, timeout: float) -> int:
    with Connection(
        settings.BROKER_URL, connect_timeout=timeout, transport_options=transport_options()
    ) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, interval_max=0)
        channel = conn.default_channel
        if hasattr(channel, "_size"):
            # kombu's virtual transports (Redis): a drained queue is no key at all, which a
            # passive declare reports as missing; the transport's own count says 0.
            return channel._size(queue)
        return channel.queue_declare(queue=queue, passive=True).message_count
