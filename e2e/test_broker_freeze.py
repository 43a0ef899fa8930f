"""API writes never wait for the broker (issue #34, item 1), against the real processes.

clients_api, products_api and orders_api (with their relays, and orders_api's worker)
publish to a broker of this module's own, so that it can be frozen (SIGSTOP) without
touching anyone else's. Four clients write to each service while the broker is frozen
for 30 s, and again while the relays' broker port is black-holed (a listener that
accepts and never answers): every write answers 2xx, none takes as long as one broker
call may (what a write held behind a relay would take), p99 within 250 ms (or, on a
machine too busy for that even with the broker healthy, within twice the same
writers' p99 measured just before with the broker healthy), and once the broker
answers again every change reaches orders_api's copies. The databases are the run's
(SQLite, or PostgreSQL when ``E2E_POSTGRES_URL`` is set, as in `make test`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from common.development import embedded_broker
from e2e.browser import token
from e2e.conftest import (
    ADMIN_PASSWORD,
    Service,
    new_cpf,
    start_relay,
    start_service,
    start_worker,
)
from scripts import harness

pytestmark = pytest.mark.slow

WRITERS = 4
OUTAGE_SECONDS = 30.0
P99_LIMIT = 0.25
#: Writes per service during an outage below which the test proves nothing.
FLOOR = 100
#: Each writer's pause between its writes: a client's, not a load test's, pace.
PAUSE = 0.05
#: The relays' broker timeout here: a write that waited on a relay talking to the frozen
#: broker would take at least this long.
BROKER_TIMEOUT = 5.0
#: How long the same writers run with the broker healthy, for the machine's own p99.
BASELINE_SECONDS = 10.0


class Stack:
    """The three services on the module's broker, each with a relay; orders_api's worker."""

    def __init__(self, broker_process, broker: str, logs: Path) -> None:
        self.broker_process = broker_process
        self.broker = broker
        self.logs = logs
        self.services: dict[str, Service] = {}
        self.relays: dict[str, harness.Process] = {}
        self.worker: harness.Process | None = None

    def start(self, env: dict[str, str], databases) -> None:
        for name in ("clients_api", "products_api", "orders_api"):
            self.services[name] = start_service(
                name, env=env, database_url=databases.create(f"{name}_freeze"), log_dir=self.logs
            )
            self.relays[name] = start_relay(self.services[name], self.logs)
        self.worker = start_worker(self.services["orders_api"], self.logs)

    def restart_relays(self, broker: str) -> None:
        """Every relay again, publishing to ``broker``."""
        for name, relay in self.relays.items():
            assert relay.stop(15) == 0, relay.log_text()
            self.relays[name] = harness.command(
                name,
                *("relay_outbox", "--report-every", "5"),
                env=dict(self.services[name].env, BROKER_URL=broker),
                log=self.logs / f"{name}-relay.log",
            ).start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop(20)
        for relay in self.relays.values():
            relay.stop(15)
        for service in self.services.values():
            service.stop()


@pytest.fixture(scope="module")
def stack(databases, deployment_env, users_api, tmp_path_factory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("freeze-broker")
    broker_process = embedded_broker.start(base)
    running = Stack(broker_process, embedded_broker.url(base), tmp_path_factory.mktemp("logs"))
    try:
        running.start(
            dict(
                deployment_env,
                BROKER_URL=running.broker,
                USERS_API_URL=users_api.url,
                EVENTS_BROKER_TIMEOUT=str(BROKER_TIMEOUT),
            ),
            databases,
        )
        yield running
    finally:
        running.stop()
        embedded_broker.stop(broker_process)


@pytest.fixture(scope="module")
def auth(users_api) -> dict[str, str]:
    return token(users_api, "admin", ADMIN_PASSWORD)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    harness.wait_until(condition, timeout, what)


def _copy(stack: Stack, auth: dict[str, str], kind: str, pk: str) -> dict | None:
    response = requests.get(
        f"{stack.services['orders_api'].url}/api/v1/{kind}-snapshots/{pk}/",
        headers=auth,
        timeout=10,
    )
    return response.json() if response.status_code == 200 else None


@pytest.fixture(scope="module")
def aggregates(stack, auth) -> dict[str, list[str]]:
    """A client and a product per writer, copied into orders_api before any outage."""
    clients, products = [], []
    for n in range(WRITERS):
        client = requests.post(
            f"{stack.services['clients_api'].url}/api/v1/clients/",
            headers=auth,
            timeout=10,
            json={"kind": "individual", "name": f"Freeze {n}", "document": new_cpf()},
        )
        assert client.status_code == 201, client.text
        clients.append(client.json()["id"])
        product = requests.post(
            f"{stack.services['products_api'].url}/api/v1/products/",
            headers=auth,
            timeout=10,
            json={
                "sku": f"FREEZE-{n}-{os.getpid()}",
                "name": f"Freeze {n}",
                "price": "1.00",
                "max_quantity": 1000,
                "stock_quantity": 500,
            },
        )
        assert product.status_code == 201, product.text
        products.append(product.json()["id"])
    for pk in clients:
        _wait(lambda pk=pk: _copy(stack, auth, "client", pk) is not None, 30, "client copies")
    for pk in products:
        _wait(lambda pk=pk: _copy(stack, auth, "product", pk) is not None, 30, "product copies")
    return {"clients": clients, "products": products}


class Writers:
    """WRITERS threads per service, each writing its own aggregate in a loop until
    stopped: a client's name, a product's price, a new order. Records every answer's
    status and how long it took; an exception in a thread is kept and fails the test."""

    def __init__(self, stack: Stack, auth: dict[str, str], aggregates: dict[str, list[str]]):
        self.stack, self.auth, self.aggregates = stack, auth, aggregates
        self.stop = threading.Event()
        self.results: dict[str, list[tuple[int, float]]] = {name: [] for name in stack.services}
        self.errors: list[BaseException] = []
        self.last_name: dict[str, str] = {}
        self.last_price: dict[str, str] = {}
        self.threads: list[threading.Thread] = []
        self.counter = 0

    def _request(self, service: str, method: str, path: str, body: dict) -> None:
        started = time.monotonic()
        response = requests.request(
            method,
            f"{self.stack.services[service].url}{path}",
            headers=self.auth,
            json=body,
            timeout=30,
        )
        took = time.monotonic() - started
        self.results[service].append((response.status_code, took))
        assert response.status_code in (200, 201), f"{service} {path}: {response.text[:300]}"

    def _loop(self, write: Callable[[int], None]) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                write(n)
                self.stop.wait(PAUSE)
        except BaseException as exc:  # reported by finish(), not lost with the thread
            self.errors.append(exc)

    def start(self) -> None:
        clients, products = self.aggregates["clients"], self.aggregates["products"]
        for k in range(WRITERS):

            def rename(n: int, pk: str = clients[k]) -> None:
                name = f"Freeze {pk[:8]} {n}"
                self._request("clients_api", "PATCH", f"/api/v1/clients/{pk}/", {"name": name})
                self.last_name[pk] = name

            def reprice(n: int, pk: str = products[k]) -> None:
                price = str(Decimal("1.00") + Decimal(n) / 100)
                self._request("products_api", "PATCH", f"/api/v1/products/{pk}/", {"price": price})
                self.last_price[pk] = price

            def order(n: int, client: str = clients[k], product: str = products[k]) -> None:
                body = {"client_id": client, "items": [{"product_id": product, "quantity": 1}]}
                self._request("orders_api", "POST", "/api/v1/orders/", body)

            for write in (rename, reprice, order):
                thread = threading.Thread(target=self._loop, args=(write,))
                thread.start()
                self.threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
        assert not self.errors, self.errors

    def p99s(self, what: str) -> dict[str, tuple[int, float, float]]:
        """Per service: (writes, p99, slowest), after asserting the floor and that every
        write answered 2xx."""
        found = {}
        for service, results in self.results.items():
            assert len(results) >= FLOOR, f"{service}: only {len(results)} writes during {what}"
            assert all(status in (200, 201) for status, _ in results)
            took = sorted(seconds for _, seconds in results)
            found[service] = (len(took), took[min(len(took) - 1, int(len(took) * 0.99))], took[-1])
        return found

    def check(self, what: str, baseline: dict[str, tuple[int, float, float]]) -> str:
        """Asserts the floor, every answer, that no write waited as long as a broker call
        may (what a write held behind the relay would take), and each service's p99:
        within P99_LIMIT, or within twice the same load's with the broker healthy when
        the machine itself is slower than that. Returns a summary line."""
        found = self.p99s(what)
        summary = "; ".join(
            f"{service} {count} writes, p99 {p99 * 1000:.0f} ms "
            f"(healthy broker: {baseline[service][1] * 1000:.0f} ms), slowest {slowest:.2f} s"
            for service, (count, p99, slowest) in found.items()
        )
        for service, (_, p99, slowest) in found.items():
            assert slowest < BROKER_TIMEOUT, f"a write waited on the broker ({what}): {summary}"
            limit = max(P99_LIMIT, 2 * baseline[service][1])
            assert p99 <= limit, f"{service} during {what}: {summary}"
        return summary


def _converged(stack: Stack, auth: dict[str, str], writers: Writers) -> bool:
    names = all(
        (_copy(stack, auth, "client", pk) or {}).get("name") == name
        for pk, name in writers.last_name.items()
    )
    prices = all(
        Decimal((_copy(stack, auth, "product", pk) or {}).get("price", "0")) == Decimal(price)
        for pk, price in writers.last_price.items()
    )
    return names and prices


def _supervise(stack: Stack) -> None:
    """What its supervisor does: orders_api's worker started again if it stopped. It
    may give up on a broker that hung, or stop because acks the frozen broker never got
    left it unable to take anything (ADR 0152); either way with a non-zero status."""
    if not stack.worker.alive():
        assert stack.worker.popen.returncode != 0, stack.worker.log_text()[-3000:]
        stack.worker = start_worker(stack.services["orders_api"], stack.logs)


def _wait_converged(stack: Stack, auth: dict[str, str], writers: Writers) -> None:
    def converged() -> bool:
        _supervise(stack)
        return _converged(stack, auth, writers)

    try:
        took = harness.wait_until(converged, 90, "every change reaches its copy")
    except AssertionError as exc:
        logs = {"worker": stack.worker.log_text()[-3000:]} | {
            name: relay.log_text()[-1500:] for name, relay in stack.relays.items()
        }
        raise AssertionError(f"{exc}; logs {logs}") from exc
    print(f"copies converged in {took:.1f} s")


def _outbox_drained(stack: Stack, seen: dict[str, object]) -> bool:
    """Every service's /readyz reports an empty outbox; what each answered is kept in
    ``seen`` for the failure message."""
    for name, service in stack.services.items():
        checks = requests.get(f"{service.url}/readyz", timeout=10).json()["checks"]
        outbox = next(check for check in checks if check["name"] == "outbox")
        seen[name] = outbox
        # A check that did not answer within /readyz's deadline (the cores busy with the
        # backlog the freeze left) tells nothing yet: asked again.
        if not outbox["ok"] or outbox["pending"]:
            return False
    return True


def _wait_drained(stack: Stack) -> None:
    seen: dict[str, object] = {}
    try:
        took = harness.wait_until(lambda: _outbox_drained(stack, seen), 60, "every outbox drained")
        print(f"outboxes drained in {took:.1f} s")
    except AssertionError as exc:
        logs = {name: relay.log_text()[-2000:] for name, relay in stack.relays.items()}
        raise AssertionError(f"{exc}; last outbox checks {seen}; relay logs {logs}") from exc


def _writing_through(
    stack, auth, aggregates, outage: contextlib.AbstractContextManager, seconds: float
) -> Writers:
    writers = Writers(stack, auth, aggregates)
    with outage:
        writers.start()
        try:
            time.sleep(seconds)
        finally:
            writers.finish()
    return writers


@pytest.fixture(scope="module")
def baseline(stack, auth, aggregates) -> dict[str, tuple[int, float, float]]:
    """The same writers with the broker healthy: what this machine gives now."""
    writers = _writing_through(stack, auth, aggregates, contextlib.nullcontext(), BASELINE_SECONDS)
    return writers.p99s("the healthy run")


@contextlib.contextmanager
def _frozen(process) -> Iterator[None]:
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


def test_writes_never_wait_for_a_frozen_broker(stack, auth, aggregates, baseline):
    writers = _writing_through(
        stack, auth, aggregates, _frozen(stack.broker_process), OUTAGE_SECONDS
    )
    print(writers.check("a 30 s broker freeze", baseline))
    _wait_converged(stack, auth, writers)
    _wait_drained(stack)


class BlackHole:
    """A TCP port that accepts connections and never answers."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.held.append(connection)

    def close(self) -> None:
        self.closed.set()
        self.listener.close()
        for connection in self.held:
            connection.close()


def test_writes_never_wait_for_a_black_holed_broker(stack, auth, aggregates, baseline):
    hole = BlackHole()
    try:
        stack.restart_relays(f"redis://127.0.0.1:{hole.port}/0")

        writers = _writing_through(
            stack, auth, aggregates, contextlib.nullcontext(), OUTAGE_SECONDS
        )
        print(writers.check("a black-holed broker port", baseline))
        assert len(hole.held) >= 3  # the relays did try it
    finally:
        stack.restart_relays(stack.broker)
        hole.close()
    _wait_converged(stack, auth, writers)
    _wait_drained(stack)
