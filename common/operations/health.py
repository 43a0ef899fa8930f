"""Liveness (``/healthz``) and readiness (``/readyz``) endpoints.

Readiness runs every check named in ``settings.READINESS_CHECKS`` at once, each
in a thread of its own with fresh connections (a pooled connection proves
nothing about the server now), and answers within ``READINESS_TIMEOUT``
seconds whatever hangs: a check still running then counts as down. Each check
is a callable returning a JSON-able dict with ``name`` and an ``ok`` boolean.

The answer (docs/api.md): 503 ``not ready`` when a required check (the database)
fails, so a load balancer stops sending traffic; 200 ``degraded`` when only
another one fails (the broker: the outbox keeps the events until it returns);
200 ``ready`` otherwise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

Check = Callable[[], dict[str, Any]]

#: Checks whose failure makes the service unready; any other failing check degrades it.
REQUIRED_CHECKS = frozenset({"database"})


def _timeout() -> float:
    return settings.READINESS_TIMEOUT


def database_check() -> dict[str, Any]:
    """``SELECT 1`` on a new connection, opened with a connect timeout and closed after."""
    database = connections.create_connection("default")
    if database.vendor == "postgresql":
        # libpq counts whole seconds and treats anything below 2 as 2.
        options = {**database.settings_dict.get("OPTIONS", {}), "connect_timeout": 2}
        database.settings_dict = {**database.settings_dict, "OPTIONS": options}
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return {"name": "database", "ok": False, "error": exc.__class__.__name__}
    finally:
        database.close()
    return {"name": "database", "ok": True, "vendor": database.vendor}


def _broker_connection() -> Any:
    """A new connection (not the publisher's) whose every wait ends within the timeout."""
    from kombu import Connection

    from common.events.transport import bounded_transport_options

    timeout = _timeout()
    options = bounded_transport_options(timeout)
    return Connection(settings.BROKER_URL, connect_timeout=timeout, transport_options=options)


def broker_check() -> dict[str, Any]:
    """Connects and opens a channel: the AMQP handshake, or a Redis PING."""
    try:
        with _broker_connection() as connection:
            connection.ensure_connection(max_retries=0)  # one attempt: a retry waits seconds
            connection.default_channel  # noqa: B018 - a round trip on every transport
            transport = connection.transport_cls
    except Exception as exc:
        return {"name": "broker", "ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:200]}
    return {"name": "broker", "ok": True, "transport": str(transport)}


def consumer_check() -> dict[str, Any]:
    """Consumer lag: events waiting in this service's queue, and events parked."""
    from common.events.models import DeadLetter

    queue = settings.EVENTS_CONSUMER_QUEUE
    with _broker_connection() as connection:
        connection.ensure_connection(max_retries=0)
        channel = connection.default_channel
        try:
            waiting = channel.queue_declare(queue=queue, passive=True).message_count
        except connection.channel_errors:
            waiting = 0  # not declared yet; on Redis, a queue with nothing in it
    parked = DeadLetter.objects.filter(replayed_at__isnull=True).count()
    return {"name": "consumer", "ok": True, "queue": queue, "waiting": waiting, "parked": parked}


def outbox_check() -> dict[str, Any]:
    """Reports the backlog; a backlog alone does not make the service unready."""
    from common.events.relay import pending_stats

    return {"name": "outbox", "ok": True, **pending_stats()}


def _name_of(check: Check) -> str:
    return check.__name__.removesuffix("_check")


def _run(check: Check, results: dict[str, dict[str, Any]]) -> None:
    started = time.monotonic()
    try:
        result = check()
    except Exception as exc:  # a check that breaks reports itself down
        result = {"name": _name_of(check), "ok": False, "error": exc.__class__.__name__}
    finally:
        connections.close_all()  # this thread's own connections
    result["status"] = "up" if result["ok"] else "down"
    result["seconds"] = round(time.monotonic() - started, 3)
    results[_name_of(check)] = result


def run_checks(checks: list[Check], timeout: float) -> list[dict[str, Any]]:
    """Runs ``checks`` concurrently; returns their results within ``timeout`` seconds.

    A check still running at the deadline is reported down with status
    ``timeout``; its thread is left to end on its own connection timeouts.
    """
    results: dict[str, dict[str, Any]] = {}
    threads = [
        threading.Thread(target=_run, args=(check, results), daemon=True, name="readyz")
        for check in checks
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [
        results.get(_name_of(check))
        or {
            "name": _name_of(check),
            "ok": False,
            "status": "timeout",
            "error": f"no answer within {timeout} s",
        }
        for check in checks
    ]


_status_schema = inline_serializer(
    "HealthStatus",
    fields={"status": serializers.CharField(), "service": serializers.CharField()},
)


class HealthView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: _status_schema}, tags=["health"])
    def get(self, request: Request) -> Response:
        return Response({"status": "ok", "service": settings.SERVICE_NAME})


class ReadyView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: _status_schema, 503: _status_schema}, tags=["health"])
    def get(self, request: Request) -> Response:
        checks = run_checks([import_string(path) for path in settings.READINESS_CHECKS], _timeout())
        failing = {check["name"] for check in checks if not check["ok"]}
        status = "not ready" if failing & REQUIRED_CHECKS else "degraded" if failing else "ready"
        return Response(
            {
                "status": status,
                "service": settings.SERVICE_NAME,
                "checks": checks,
                # The same, by name, for a quick look: {"database": "up", "broker": "down"}.
                "components": {check["name"]: check["status"] for check in checks},
            },
            status=503 if status == "not ready" else 200,
        )
