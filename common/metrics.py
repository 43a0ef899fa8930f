"""Prometheus metrics of every process (docs/operations.md: "Operating it"), in one place.

Counters and histograms are observed where things happen (one call each):
HTTP requests by ``MetricsMiddleware``; ``event_published`` by the relay;
``event_applied`` / ``event_retried`` / ``event_parked`` by the consumer.
Gauges that need a read of the database or the broker (outbox backlog, dead
letters waiting, queue depth) are read when Prometheus scrapes the
``/metrics`` of an API with events (``StateCollector``), each read bounded by a timeout.

Processes that fork (gunicorn's workers, Celery's prefork pool) count in
prometheus-client's multi-process mode: ``PROMETHEUS_MULTIPROC_DIR`` must be set
before prometheus-client is imported. ``gunicorn.conf.py`` sets it for the APIs;
here it is set for a relay, worker or scheduler that serves ``METRICS_PORT``.
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR") and os.environ.get("METRICS_PORT", "0") not in {
    "",
    "0",
}:
    _own_dir = tempfile.mkdtemp(prefix="metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_dir
    atexit.register(shutil.rmtree, _own_dir, True)

from celery import signals  # after the multi-process directory is chosen
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from django.utils.timezone import now
from django.utils.translation import gettext
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector

from common.errors import handler404, problem_response

logger = logging.getLogger("common.metrics")

http_requests = Counter(
    "http_requests", "HTTP requests answered.", ["service", "method", "route", "status"]
)
http_request_duration = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
http_request_db_queries = Histogram(
    "http_request_db_queries",
    "Database queries made to answer one HTTP request.",
    ["service", "route"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89),
)
events_published = Counter("events_published", "Events handed to the broker.", ["service", "type"])
events_applied = Counter("events_applied", "Events applied by the consumer.", ["service", "type"])
events_retried = Counter(
    "events_retried", "Event deliveries that failed and were retried.", ["service", "type"]
)
events_parked = Counter(
    "events_parked", "Events parked as dead letters after failing.", ["service", "type"]
)
consumer_lag = Histogram(
    "events_consumer_lag_seconds",
    "Time from an event's occurred_at to its being applied.",
    ["service", "type"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
events_repairs = Counter(
    "events_repairs",
    "Copies that a re-published state (the anti-entropy sweep) moved forward because an "
    "event was really late or lost: the copy had lagged its source longer than "
    "EVENTS_REPAIR_AFTER_SECONDS, or the original event had not reached the inbox that long "
    "after. A repeat that merely overtook its original is not counted.",
    ["service", "type"],
)
copies_stale = Gauge(
    "snapshot_copies_stale",
    "Local copies the last convergence sweep found behind their source.",
    ["service", "kind"],
    multiprocess_mode="mostrecent",
)


def _service() -> str:
    return settings.SERVICE_NAME


def event_published(envelope: dict[str, Any]) -> None:
    events_published.labels(_service(), envelope["type"]).inc()


def event_applied(envelope: dict[str, Any]) -> None:
    """Counts an applied event and observes its lag (occurred_at to now)."""
    events_applied.labels(_service(), envelope["type"]).inc()
    occurred_at = parse_datetime(str(envelope.get("occurred_at", "")))
    if occurred_at is not None:
        lag = max((now() - occurred_at).total_seconds(), 0.0)
        consumer_lag.labels(_service(), envelope["type"]).observe(lag)


def event_retried(envelope: dict[str, Any]) -> None:
    events_retried.labels(_service(), envelope["type"]).inc()


def event_parked(envelope: dict[str, Any]) -> None:
    events_parked.labels(_service(), envelope["type"]).inc()


def event_repaired(event_type: str) -> None:
    events_repairs.labels(_service(), event_type).inc()


def copies_found_stale(kind: str, count: int) -> None:
    """What a convergence sweep found: ``count`` copies of ``kind`` behind their source."""
    copies_stale.labels(_service(), kind).set(count)


class _QueryCounter:
    """A ``connection.execute_wrapper`` that counts the queries it sees."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


class MetricsMiddleware:
    """Counts and times every request by its route template (``api/v1/orders/<uuid:pk>/``,
    never the raw path, so ids do not become labels) and counts its database queries.

    Answers ``GET /metrics`` itself, before the host check of CommonMiddleware:
    Prometheus scrapes by address (a pod's IP, a compose service name with ``_``),
    which ALLOWED_HOSTS does not list, and nothing on that page is built from the
    Host header. METRICS_ALLOWED_CIDRS guards it instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/metrics":
            return metrics_view(request)
        started = time.perf_counter()
        queries = _QueryCounter()
        with connection.execute_wrapper(queries):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "<unmatched>"
        method = request.method if request.method in _METHODS else "OTHER"
        service = _service()
        http_requests.labels(service, method, route, str(response.status_code)).inc()
        http_request_duration.labels(service, method, route).observe(time.perf_counter() - started)
        http_request_db_queries.labels(service, route).observe(queries.count)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in settings.METRICS_ALLOWED_NETWORKS)


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or with multi-process mode those of every process of its group."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics``: this service's metrics, only to METRICS_ALLOWED_CIDRS (else 404,
    as for any unknown page).

    The peer address is REMOTE_ADDR (never X-Forwarded-For, which a client writes).
    """
    if not _allowed(request.META.get("REMOTE_ADDR", "")):
        return handler404(request)
    if request.method not in ("GET", "HEAD"):
        return problem_response(
            request, 405, "method_not_allowed", gettext("Only GET is allowed here.")
        )
    body = generate_latest(_process_registry())
    if apps.is_installed("common.events"):  # the state read is the event tables' and queue's
        state = CollectorRegistry()
        state.register(StateCollector())
        body += generate_latest(state)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


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
        service = _service()
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
    from common.events.models import DeadLetter
    from common.events.relay import pending_stats

    # A thread of its own has a connection of its own, closed at the end, so a session
    # setting stays on it. No transaction: on SQLite one would take the write lock.
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # set_config, not SET: a SET takes no bound parameter.
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, false)", [str(int(timeout * 1000))]
                )
        stats = pending_stats()
        dead = DeadLetter.objects.filter(replayed_at__isnull=True).count()
    finally:
        connection.close()
    return {
        "pending": float(stats["pending"]),
        "oldest_pending_seconds": float(stats["oldest_pending_seconds"]),
        "dead_letters": float(dead),
    }


def _read_queue_depth(queue: str, timeout: float) -> int:
    from kombu import Connection

    from common.events.transport import transport_options

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


def metrics_app(registry: CollectorRegistry) -> Callable[..., Any]:
    """prometheus-client's WSGI app of ``registry``, answering only METRICS_ALLOWED_CIDRS
    (anyone else gets a 404), as an API's ``/metrics`` does."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not _allowed(environ.get("REMOTE_ADDR", "")):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not Found\n"]
        return metrics(environ, start_response)

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged: one a few seconds would drown the process's log."""


def metrics_server(port: int, address: str) -> WSGIServer:
    """Starts serving this process's metrics (and its forked children's) on
    ``address:port`` (0: any free port) on a daemon thread; returns the server."""
    family = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)[0][0]
    server_class = type("MetricsServer", (ThreadingWSGIServer,), {"address_family": family})
    server = make_server(
        address, port, metrics_app(_process_registry()), server_class, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server


def serve(port: int, address: str) -> None:
    """``metrics_server`` on ``address:port``; nothing when ``port`` is 0."""
    if port <= 0:
        return
    metrics_server(port, address)
    logger.info("metrics on http://%s:%s/metrics", address, port)


def serve_from_settings() -> None:
    """``serve`` on METRICS_PORT (0: off) and METRICS_ADDRESS, for a relay, worker or
    scheduler process."""
    serve(settings.METRICS_PORT, settings.METRICS_ADDRESS)


@signals.worker_ready.connect
def _serve_worker_metrics(**kwargs: Any) -> None:
    serve_from_settings()


@signals.beat_init.connect
def _serve_scheduler_metrics(**kwargs: Any) -> None:
    serve_from_settings()


@signals.worker_process_shutdown.connect
def _forget_worker_child(pid: int | None = None, **kwargs: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid or os.getpid())
