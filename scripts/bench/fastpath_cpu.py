"""What each piece of common.fastpath earns on each `make bench` scenario: CPU (and wall
time) per request, in process, with the piece on and off, in the same run.

Run by scripts/bench_fastpath.py as a pytest module of one service (its settings, a
PostgreSQL database of its own, its factories), so the data and tokens are the tests'.
Requests go through Django's WSGI handler as gunicorn hands them over (not the test
client, which skips the per-request connection check the backend speeds up), one at a
time. ``time.process_time`` counts this process's CPU only: the load of the machine's
other work barely moves it, unlike requests per second. Each round runs every
configuration in turn (all on, each piece off, all off), so a spell of the machine
touches them alike; the median over the rounds is kept.

Writes ``{scenario: {configuration: {"cpu_ms": .., "wall_ms": ..}}}`` as JSON to
``$FASTPATH_BENCH_OUT``.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import statistics
import sys
import time
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from common import fastpath
from common.development.testing import access_token

ROUNDS = int(os.environ.get("FASTPATH_BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("FASTPATH_BENCH_REQUESTS", "40"))
WARM_UP = 20

_OFF = types.SimpleNamespace(enabled=lambda: False)


@contextlib.contextmanager
def _connection(make: Callable[[dict, str], Any]) -> Iterator[None]:
    """``connections['default']`` replaced by ``make(settings_dict, alias)`` meanwhile."""
    original = connections[DEFAULT_DB_ALIAS]
    replacement = make(original.settings_dict, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = replacement
    try:
        yield
    finally:
        replacement.close()
        connections[DEFAULT_DB_ALIAS] = original


def _plain_backend(settings_dict: dict, alias: str) -> Any:
    from django.db.backends.postgresql.base import DatabaseWrapper

    return DatabaseWrapper(settings_dict, alias)


def _django_compiler(settings_dict: dict, alias: str) -> Any:
    from common.fastpath.postgresql.base import FastDatabaseWrapper

    wrapper = FastDatabaseWrapper(settings_dict, alias)
    wrapper.ops.compiler_module = "django.db.backends.postgresql.compiler"
    return wrapper


def _without_prefetched(patch: pytest.MonkeyPatch) -> None:
    noop = lambda *args, **kwargs: None  # noqa: E731 - the switched-off function
    for name in ("orders.selectors", "orders.services"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "with_prefetched"):
            patch.setattr(module, "with_prefetched", noop)


def _configurations() -> dict[str, Callable[[contextlib.ExitStack, pytest.MonkeyPatch], None]]:
    from common.fastpath import inserts, projection, queries, updates

    def module_off(module: types.ModuleType) -> Callable:
        return lambda stack, patch: patch.setattr(module, "fastpath", _OFF)

    def all_off(stack: contextlib.ExitStack, patch: pytest.MonkeyPatch) -> None:
        patch.setattr(fastpath, "enabled", lambda: False)
        stack.enter_context(_connection(_plain_backend))

    def compiled_queries_off(stack: contextlib.ExitStack, patch: pytest.MonkeyPatch) -> None:
        # CompiledQuery alone: with_prefetched keeps giving the rows it is handed.
        patch.setattr(
            queries.CompiledQuery,
            "__call__",
            lambda self, *ids, using=DEFAULT_DB_ALIAS: list(self._build(*ids).using(using)),
        )

    configurations = {
        "on": lambda stack, patch: None,
        "postgresql": lambda stack, patch: stack.enter_context(_connection(_plain_backend)),
        "compiler": lambda stack, patch: stack.enter_context(_connection(_django_compiler)),
        "updates": module_off(updates),
        "queries": compiled_queries_off,
        "prefetched": lambda stack, patch: _without_prefetched(patch),
        "inserts": module_off(inserts),
        "projection": module_off(projection),
        "off": all_off,
    }
    # FASTPATH_BENCH_PIECES=a,b: all on and those pieces off only (a piece measured again).
    chosen = {name for name in os.environ.get("FASTPATH_BENCH_PIECES", "").split(",") if name}
    if chosen:
        return {name: apply for name, apply in configurations.items() if name in {"on", *chosen}}
    return configurations


def _environ(method: str, path: str, token: str, body: dict | None) -> dict[str, Any]:
    path, _, query = path.partition("?")
    payload = json.dumps(body).encode() if body is not None else b""
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_ACCEPT": "application/json",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(payload)),
        "wsgi.input": io.BytesIO(payload),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def _call(app: WSGIHandler, request: tuple[str, str, dict | None], token: str) -> None:
    method, path, body = request
    statuses = []
    response = app(_environ(method, path, token, body), lambda s, h: statuses.append(s))
    try:
        b"".join(response)
    finally:
        response.close()
    if not statuses[0].startswith("2"):
        raise RuntimeError(f"{method} {path} answered {statuses[0]}")


def _measure(requests: Iterator[tuple[str, str, dict | None]]) -> dict[str, dict[str, float]]:
    app = WSGIHandler()
    token = access_token(is_superuser=True, username="bench")
    configurations = _configurations()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in configurations}
    for _ in range(WARM_UP):
        _call(app, next(requests), token)
    for _ in range(ROUNDS):
        for name, apply in configurations.items():
            # A token of its own: a long run outlives an access token's minutes.
            token = access_token(is_superuser=True, username="bench")
            with contextlib.ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
                apply(stack, patch)
                for _ in range(WARM_UP // 4):  # a new connection's first statements
                    _call(app, next(requests), token)
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(REQUESTS):
                    _call(app, next(requests), token)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            samples[name].append((cpu * 1000 / REQUESTS, wall * 1000 / REQUESTS))
    return {
        name: {
            "cpu_ms": statistics.median(cpu for cpu, _ in found),
            "wall_ms": statistics.median(wall for _, wall in found),
        }
        for name, found in samples.items()
    }


def _record(scenario: str, figures: dict[str, dict[str, float]]) -> None:
    out = Path(os.environ["FASTPATH_BENCH_OUT"])
    results = json.loads(out.read_text()) if out.exists() else {}
    results[scenario] = figures
    out.write_text(json.dumps(results, indent=2))


def _service(name: str) -> None:
    if name != settings.SERVICE_NAME:
        pytest.skip(f"a scenario of {name}")
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        pytest.skip("measured on PostgreSQL, as deployed")


@pytest.mark.django_db(transaction=True)
def test_orders_create() -> None:
    _service("orders_api")
    from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

    with transaction.atomic():
        clients = [str(ClientSnapshotFactory().pk) for _ in range(20)]
        products = [str(ProductSnapshotFactory(stock_quantity=1000).pk) for _ in range(60)]

    def requests() -> Iterator[tuple[str, str, dict]]:
        for n in itertools.count():
            first = n % (len(products) - 2)
            items = [{"product_id": products[first + k], "quantity": 1} for k in range(3)]
            body = {"client_id": clients[n % len(clients)], "items": items}
            yield "POST", "/api/v1/orders/", body

    _record("orders_create", _measure(requests()))


@pytest.mark.django_db(transaction=True)
def test_order_detail() -> None:
    _service("orders_api")
    from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

    with transaction.atomic():
        client = ClientSnapshotFactory()
        products = [ProductSnapshotFactory(stock_quantity=1000) for _ in range(3)]
    app, token = WSGIHandler(), access_token(is_superuser=True)
    body = {
        "client_id": str(client.pk),
        "items": [{"product_id": str(p.pk), "quantity": 1} for p in products],
    }
    for _ in range(30):
        _call(app, ("POST", "/api/v1/orders/", body), token)
    from orders.models import Order

    orders = [str(pk) for pk in Order.objects.values_list("pk", flat=True)]
    requests = (
        ("GET", f"/api/v1/orders/{orders[n % len(orders)]}/", None) for n in itertools.count()
    )
    _record("order_detail", _measure(requests))


@pytest.mark.django_db(transaction=True)
def test_products_list() -> None:
    _service("products_api")
    from products.tests.factories import ProductFactory

    with transaction.atomic():
        for _ in range(60):
            ProductFactory(stock_quantity=50, max_quantity=100000)
    requests = itertools.repeat(("GET", "/api/v1/products/?limit=50", None))
    _record("products_list", _measure(requests))


@pytest.mark.django_db(transaction=True)
def test_stock_movement() -> None:
    _service("products_api")
    from products.tests.factories import ProductFactory

    with transaction.atomic():
        products = [
            str(ProductFactory(stock_quantity=500, max_quantity=100000).pk) for _ in range(20)
        ]

    def requests() -> Iterator[tuple[str, str, dict]]:
        for n in itertools.count():
            kind = "in" if (n // len(products)) % 2 == 0 else "out"
            body = {"kind": kind, "quantity": 1, "reason": "bench"}
            yield "POST", f"/api/v1/products/{products[n % len(products)]}/stock-movements/", body

    _record("stock_movement", _measure(requests()))


@pytest.mark.django_db(transaction=True)
def test_clients_search() -> None:
    _service("clients_api")
    from clients.tests.factories import AddressFactory, ClientFactory

    with transaction.atomic():
        for n in range(300):
            client = ClientFactory(name=f"Cliente {n:04d} {uuid.uuid4().hex[:6]}")
            AddressFactory(client=client, city=("São Paulo", "Natal", "Recife")[n % 3])
            AddressFactory(client=client, district=f"Bairro {n % 17}")
    terms = ["cliente 01", "natal", "bairro 3", "recife", "cliente 02", "sao paulo"]
    requests = (
        ("GET", f"/api/v1/clients/?search={terms[n % len(terms)]}", None) for n in itertools.count()
    )
    _record("clients_search", _measure(requests))
