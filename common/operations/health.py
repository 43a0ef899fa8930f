"""Liveness (``/healthz``) and readiness (``/readyz``) endpoints.

Readiness runs the checks named in ``settings.READINESS_CHECKS`` in lanes, at once,
and answers within ``READINESS_TIMEOUT`` seconds whatever hangs: a check still
running then counts as down. Each check is a callable returning a JSON-able dict
with ``name`` and an ``ok`` boolean. The checks that only ask the database share one
lane and one connection, the required ones first; a check marked ``runs_apart``
(one that waits on the broker) has a lane of its own, so a hung broker never holds
them. A thread and a connection per check held four connections per ask on every
process: with a readiness poller on each service the e2e session's seven services
passed PostgreSQL's hundred (ADR 0155).

The checks' database connections are kept between asks (``CONN_MAX_AGE``), each lent
to one lane at a time, and every check makes a round trip on them, so what they
report is the server now. A new connection per check and per ask cost a login each:
a load balancer asks every replica every second, and behind PgBouncer some thirty
logins at once (SCRAM, on PgBouncer's one thread) held every transaction of the
deployment for about 250 ms each second (ADR 0151).

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
from django.db.backends.base.base import BaseDatabaseWrapper
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


def check_timeout() -> float:
    """Seconds every readiness check answers within (``READINESS_TIMEOUT``)."""
    return settings.READINESS_TIMEOUT


#: The checks' database connections: every one opened, and those not lent to a check now.
_databases: list[BaseDatabaseWrapper] = []
_idle_databases: list[BaseDatabaseWrapper] = []
_idle_lock = threading.Lock()


def _borrow_database() -> BaseDatabaseWrapper:
    """A connection of the checks' own (not a request's), opened with a connect timeout;
    never connected by a lane that does not ask the database."""
    with _idle_lock:
        if _idle_databases:
            return _idle_databases.pop()
    database = connections.create_connection("default")
    database.inc_thread_sharing()  # lent to one check at a time, whatever its thread
    if database.vendor == "postgresql":
        # libpq counts whole seconds and treats anything below 2 as 2.
        options = {**database.settings_dict.get("OPTIONS", {}), "connect_timeout": 2}
        database.settings_dict = {**database.settings_dict, "OPTIONS": options}
    with _idle_lock:
        _databases.append(database)
    return database


def _give_back_database(database: BaseDatabaseWrapper) -> None:
    """Keeps the connection for the next check unless it broke or outlived ``CONN_MAX_AGE``
    (0, as on SQLite: closed at once). The idle ones past their age are closed too: after
    a burst of asks some wait long for their next check."""
    database.close_if_unusable_or_obsolete()
    with _idle_lock:
        for idle in _idle_databases:
            idle.close_if_unusable_or_obsolete()
        _idle_databases.append(database)


def close_check_connections() -> None:
    """Closes every connection of the checks', those lent to a check left running past
    its deadline too (a test database is dropped only once nobody is connected); a
    check that uses one again reconnects."""
    with _idle_lock:
        opened = list(_databases)
    for database in opened:
        database.close()


def database_check() -> dict[str, Any]:
    """``SELECT 1``; on a kept connection that fails, once more on a new one, so only a
    server that refuses a new connection too is reported down."""
    database = connections["default"]
    for new in (database.connection is None, True):
        try:
            with database.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as exc:  # any driver error means "not ready"
            database.close()
            if new:
                return {"name": "database", "ok": False, "error": exc.__class__.__name__}
        else:
            break
    return {"name": "database", "ok": True, "vendor": database.vendor}


def _name_of(check: Check) -> str:
    return check.__name__.removesuffix("_check")


def runs_apart(check: Check) -> Check:
    """Marks ``check`` as one that waits on something besides the database (the
    broker): readiness runs it in a lane of its own. Returns ``check``."""
    check.runs_apart = True
    return check


def _lanes(checks: list[Check]) -> list[list[Check]]:
    """The database's lane (the required checks first, so a slow check behind them
    never makes the service unready), then one lane per check that runs apart."""
    apart = [check for check in checks if getattr(check, "runs_apart", False)]
    shared = sorted(
        (check for check in checks if check not in apart),
        key=lambda check: _name_of(check) not in REQUIRED_CHECKS,
    )
    return [lane for lane in [shared, *([check] for check in apart)] if lane]


def _run_lane(lane: list[Check], results: dict[str, dict[str, Any]]) -> None:
    database = _borrow_database()
    connections["default"] = database  # this thread's: what the checks' queries use
    try:
        for check in lane:
            started = time.monotonic()
            try:
                result = check()
            except Exception as exc:  # a check that breaks reports itself down
                result = {"name": _name_of(check), "ok": False, "error": exc.__class__.__name__}
            result["status"] = "up" if result["ok"] else "down"
            result["seconds"] = round(time.monotonic() - started, 3)
            results[_name_of(check)] = result
    finally:
        del connections["default"]
        _give_back_database(database)


def run_checks(checks: list[Check], timeout: float) -> list[dict[str, Any]]:
    """Runs ``checks`` in their lanes, the lanes concurrently; returns their results, in
    the order of ``checks``, within ``timeout`` seconds.

    A check not done at the deadline is reported down with status ``timeout``; its
    lane's thread is left to end on its own connection timeouts.
    """
    results: dict[str, dict[str, Any]] = {}
    threads = [
        threading.Thread(target=_run_lane, args=(lane, results), daemon=True, name="readyz")
        for lane in _lanes(checks)
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
        checks = run_checks(
            [import_string(path) for path in settings.READINESS_CHECKS], check_timeout()
        )
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
