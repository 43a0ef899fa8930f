"""The framework floor of `make bench`: a bare Django view running a scenario's SQL.

``GET /<scenario>`` runs ``scripts/bench/sql/<scenario>.sql`` — the statements the
real endpoint issues, in pgbench's script syntax — against that service's bench
database (``BENCH_<SERVICE>_URL``) and answers a small JSON body. No DRF, no
middleware, no authentication: what is left is Django, the driver and
gunicorn, so an endpoint's distance from this is what our code costs.

Served by gunicorn as ``bench_floor:application`` from ``scripts/``.
"""

from __future__ import annotations

import os
import random
import re
import secrets
from pathlib import Path

import dj_database_url
from bench import SCENARIOS
from django.conf import settings

SQL = Path(__file__).resolve().parent / "bench" / "sql"
SERVICE_OF = {scenario.name: scenario.service for scenario in SCENARIOS}
SET = re.compile(r"\\set (\w+) random\((\d+), *(\d+)\)")
VARIABLE = re.compile(r"(?<!:):(\w+)")

settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_urlsafe(40),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
    DATABASES={
        "default": {"ENGINE": "django.db.backends.dummy"},
        **{
            service: dj_database_url.parse(
                os.environ[f"BENCH_{service.upper()}_URL"], conn_max_age=60
            )
            for service in set(SERVICE_OF.values())
        },
    },
)

from django.db import connections  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def _parse(name: str) -> list[tuple[str, object]]:
    """The script as steps: ("set", (var, low, high)) or ("sql", (statement, gset))."""
    steps: list[tuple[str, object]] = []
    statement: list[str] = []
    for line in (SQL / f"{name}.sql").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        if match := SET.fullmatch(stripped):
            steps.append(("set", (match[1], int(match[2]), int(match[3]))))
            continue
        gset = stripped.endswith("\\gset")
        statement.append(stripped.removesuffix("\\gset").strip())
        if gset or stripped.endswith(";"):
            steps.append(("sql", (" ".join(statement).rstrip(";"), gset)))
            statement = []
    return steps


SCRIPTS = {name: _parse(name) for name in SERVICE_OF}


def _bind(statement: str, known: dict[str, object]) -> tuple[str, list[str]]:
    """The statement with psycopg placeholders, and the variables they take in order.

    Only names already set count, as in pgbench: ``:38`` inside a timestamp stays.
    """
    names: list[str] = []

    def placeholder(match: re.Match) -> str:
        if match[1] not in known:
            return match[0]
        names.append(match[1])
        return "%s"

    return VARIABLE.sub(placeholder, statement.replace("%", "%%")), names


BOUND: dict[tuple[str, int], tuple[str, list[str]]] = {}


def run(request: HttpRequest, scenario: str) -> JsonResponse:
    variables: dict[str, object] = {}
    with connections[SERVICE_OF[scenario]].cursor() as cursor:
        for index, (kind, step) in enumerate(SCRIPTS[scenario]):
            if kind == "set":
                name, low, high = step
                variables[name] = random.randint(low, high)  # noqa: S311 - load, not secrets
                continue
            statement, gset = step
            # The same variables are set before a step on every run: bind once.
            if (scenario, index) not in BOUND:
                BOUND[scenario, index] = _bind(statement, variables)
            sql, names = BOUND[scenario, index]
            cursor.execute(sql, [variables[name] for name in names])
            if gset:
                row = cursor.fetchone()
                columns = (column.name for column in cursor.description)
                variables.update(zip(columns, row, strict=True))
            elif cursor.description:
                cursor.fetchall()
    return JsonResponse({"scenario": scenario, "steps": len(SCRIPTS[scenario])})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("healthz", healthz), path("<str:scenario>", run)]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
