"""Start the real services as separate processes and talk to them over HTTP.

Each run gets fresh databases (PostgreSQL when ``E2E_POSTGRES_URL`` is set, as
`make test` does when PostgreSQL answers; SQLite files otherwise), production
settings (DEBUG off, explicit keys and secrets) and gunicorn, as deployed.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from kombu import Connection, Exchange, Queue, binding
from selenium import webdriver

from common.development import embedded_broker
from common.development.ports import SERVICE_PORTS, free_port
from common.development.testing import unavailable
from common.events import topology
from e2e.browser import csp_violations, start_chromium
from scripts import harness

ADMIN_PASSWORD = "E2e-Admin-Pass-2026"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # API fuzzing writes random data into the shared services: it goes last.
    items.sort(key=lambda item: item.module.__name__.endswith("test_api_fuzzing"))


def postgres_server(needed_by: str) -> str:
    """The PostgreSQL server of ``E2E_POSTGRES_URL`` (a URL without a database). Without
    one, the test fails in CI and is skipped elsewhere, naming ``needed_by``."""
    server = os.environ.get("E2E_POSTGRES_URL", "").rstrip("/")
    if not server:
        unavailable(f"{needed_by} needs PostgreSQL (E2E_POSTGRES_URL)")
    return server


def command_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """A service's production environment for management commands that never reach the
    broker or the cache (migrate, seed_bench): events they record stay in the outbox."""
    return harness.production_env(
        tmp_path / "keys",
        VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        # Required in production, never connected to here.
        BROKER_URL="redis://127.0.0.1:6379/15",
        CACHE_URL="redis://127.0.0.1:6379/15",
    )


def new_cpf() -> str:
    """A valid CPF no other test uses (the services are shared by the whole session)."""
    digits = [secrets.randbelow(10) for _ in range(9)]
    for _ in range(2):
        weighted = sum(d * w for d, w in zip(digits, range(len(digits) + 1, 1, -1), strict=True))
        digits.append(weighted * 10 % 11 % 10)
    return "".join(map(str, digits)) if len(set(digits)) > 1 else new_cpf()


@dataclass
class Service:
    name: str
    url: str
    process: harness.Process
    env: dict[str, str] = field(repr=False)

    @property
    def log(self) -> Path:
        return self.process.log

    def stop(self) -> int:
        return self.process.stop(15)


class Databases:
    """One fresh database per service, dropped at the end."""

    def __init__(self, tmp: Path) -> None:
        self.server = os.environ.get("E2E_POSTGRES_URL", "").rstrip("/")
        self.tmp = tmp
        self.created: list[str] = []
        self.suffix = uuid.uuid4().hex[:8]

    def create(self, service: str) -> str:
        if not self.server:
            return f"sqlite:///{self.tmp / f'{service}.sqlite3'}"
        name = f"e2e_{service}_{self.suffix}"
        self.created.append(name)
        return harness.create_database(self.server, name)

    def drop_all(self) -> None:
        for name in self.created:
            harness.drop_database(self.server, name)


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[Databases]:
    databases = Databases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def deployment_env(tmp_path_factory) -> dict[str, str]:
    """Production settings; the session's services on ports chosen now, so that each
    admin's links to the others (``<SERVICE>_PUBLIC_URL``) lead to them."""
    return harness.production_env(
        tmp_path_factory.mktemp("keys"),
        VAR_DIR=str(tmp_path_factory.mktemp("var")),
        # Every test signs in from 127.0.0.1, drills and browsers dozens of times a
        # minute: at the deployed 30 a minute, whichever test came after a busy minute
        # was refused (429). The limit itself is proven by users_api's tests and the
        # cluster drill; the failures per account and address still apply here.
        LOGIN_RATE_PER_IP="600/min",
        **{
            f"{service.upper()}_PUBLIC_URL": f"http://127.0.0.1:{free_port()}"
            for service in SERVICE_PORTS
        },
    )


def _public_port(env: dict[str, str], name: str) -> int | None:
    return urlsplit(env[f"{name.upper()}_PUBLIC_URL"]).port


def start_service(
    name: str,
    *,
    env: dict[str, str],
    database_url: str,
    log_dir: Path,
    port: int | None = None,
) -> Service:
    """Migrate ``name``'s database and serve it with gunicorn on ``port`` (a free one
    unless told); waits until /readyz is 200."""
    port = port or free_port()
    service_env = dict(env, DATABASE_URL=database_url, SECRET_KEY=secrets.token_urlsafe(50))
    for command in ("migrate", "collectstatic"):
        harness.manage(name, command, "--noinput", env=service_env)
    process = harness.api(
        name, port=port, env=service_env, log=log_dir / f"{name}.log", workers=2
    ).start()
    service = Service(name, f"http://127.0.0.1:{port}", process, service_env)
    try:
        harness.wait_ready(process, service.url, name, timeout=30)
    except AssertionError:
        service.stop()
        raise
    return service


OBSERVER = "e2e.observer"


def _observe(url: str) -> None:
    """A queue of the tests' own, bound to every event, so they can read what was
    published whatever the services' workers consume."""
    with Connection(url) as conn:
        Queue(
            OBSERVER,
            bindings=[binding(Exchange("events", type="topic", durable=True), "#")],
            durable=True,
        )(conn.default_channel).declare()


def _empty(url: str) -> None:
    """No messages or queues left from an earlier run on this broker."""
    if url.startswith("redis"):
        redis.Redis.from_url(url).flushdb()
        return
    # AMQP cannot be flushed; `make test` gives each run a fresh virtual host, and a
    # reused one loses the queues the services and the tests declare.
    with Connection(url, connect_timeout=5) as conn:
        channel = conn.default_channel
        for queue in (OBSERVER, *topology.TOPOLOGY):
            channel.queue_delete(queue)


@pytest.fixture(scope="session")
def broker_url(tmp_path_factory) -> Iterator[str]:
    """The broker as deployed (``E2E_BROKER_URL``: Redis or RabbitMQ, emptied first),
    else the embedded broker."""
    url = os.environ.get("E2E_BROKER_URL", "")
    if url:
        _empty(url)
        _observe(url)
        yield url
        return
    base = tmp_path_factory.mktemp("broker")
    process = embedded_broker.start(base)
    _observe(embedded_broker.url(base))
    yield embedded_broker.url(base)
    embedded_broker.stop(process)


def drain_events(broker_url: str, queue: str = OBSERVER) -> list[dict]:
    """Takes every event waiting in the tests' observer queue, oldest first (a batch
    message, ``events.handle_batch``, carries several)."""
    events = []
    with Connection(broker_url) as conn:
        simple = conn.SimpleQueue(queue)
        try:
            while True:
                try:
                    message = simple.get(block=True, timeout=1)
                except simple.Empty:
                    return events
                args, _kwargs, _embed = message.decode()  # Celery task protocol 2
                batch = message.headers["task"] == "events.handle_batch"
                events.extend(args[0] if batch else [args[0]])
                message.ack()
        finally:
            simple.close()


def start_relay(service: Service, log_dir: Path) -> harness.Process:
    return harness.command(
        service.name,
        *("relay_outbox", "--report-every", "5"),
        env=service.env,
        log=log_dir / f"{service.name}-relay.log",
    ).start()


def _publishing_service(
    name: str, databases: Databases, env: dict[str, str], broker: str, logs: Path
) -> Iterator[Service]:
    """A service that publishes events, with its relay, on the broker under test."""
    service = start_service(
        name,
        env=dict(env, BROKER_URL=broker),
        database_url=databases.create(name),
        log_dir=logs,
        port=_public_port(env, name),
    )
    relay = start_relay(service, logs)
    yield service
    assert relay.stop(15) == 0, relay.log_text()
    assert service.stop() == 0, service.log.read_text()


@pytest.fixture(scope="session")
def users_api(databases, deployment_env, broker_url, tmp_path_factory) -> Iterator[Service]:
    """users_api with its relay: it publishes its users (users.user.*)."""
    services = _publishing_service(
        "users_api", databases, deployment_env, broker_url, tmp_path_factory.mktemp("logs")
    )
    service = next(services)
    harness.create_superuser(
        service.env, username="admin", password=ADMIN_PASSWORD, email="admin@example.com"
    )
    yield service
    next(services, None)


def _signing_in_at(users_api: Service, env: dict[str, str]) -> dict[str, str]:
    """The environment of a service whose admin signs in against the users_api under test."""
    return dict(env, USERS_API_URL=users_api.url)


@pytest.fixture(scope="session")
def clients_api(
    databases, deployment_env, broker_url, users_api, tmp_path_factory
) -> Iterator[Service]:
    yield from _consuming_service(
        "clients_api",
        databases,
        _signing_in_at(users_api, deployment_env),
        broker_url,
        tmp_path_factory.mktemp("clients-logs"),
    )


def start_worker(service: Service, log_dir: Path) -> harness.Process:
    """The service's Celery worker on its own queue; returns once it is ready."""
    worker = harness.worker(
        service.name,
        env=service.env,
        log=log_dir / f"{service.name}-worker.log",
        concurrency=harness.WORKER_CONCURRENCY,
    ).start()
    harness.wait_until(lambda: harness.worker_ready(worker), 30, f"{service.name} worker")
    return worker


def _consuming_service(
    name: str, databases: Databases, env: dict[str, str], broker: str, logs: Path
) -> Iterator[Service]:
    """A service with its relay and its Celery worker."""
    services = _publishing_service(name, databases, env, broker, logs)
    service = next(services)
    worker = start_worker(service, logs)
    yield service
    assert worker.stop(20) == 0, worker.log_text()
    next(services, None)


@pytest.fixture(scope="session")
def orders_api(
    databases, deployment_env, broker_url, users_api, tmp_path_factory
) -> Iterator[Service]:
    yield from _consuming_service(
        "orders_api",
        databases,
        _signing_in_at(users_api, deployment_env),
        broker_url,
        tmp_path_factory.mktemp("orders-logs"),
    )


@pytest.fixture(scope="session")
def products_api(
    databases, deployment_env, broker_url, users_api, tmp_path_factory
) -> Iterator[Service]:
    yield from _consuming_service(
        "products_api",
        databases,
        _signing_in_at(users_api, deployment_env),
        broker_url,
        tmp_path_factory.mktemp("products-logs"),
    )


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every page a browser test opens runs under its Content-Security-Policy: anything
    the policy refused meanwhile fails the test."""
    # Asked for here, so that the browsers outlive this check.
    drivers = [
        request.getfixturevalue(name)
        for name in ("browser", "english_browser")
        if name in request.fixturenames
    ]
    for driver in drivers:
        csp_violations(driver)  # an earlier test's, already judged
    yield
    for driver in drivers:
        assert csp_violations(driver) == []


# Session scope, so that a missing Chromium is found before the services start.
@pytest.fixture(scope="session")
def browser(tmp_path_factory) -> Iterator[webdriver.Chrome]:
    """Debian's Chromium (e2e.browser) asking for pt-BR, as a clerk's does."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture
def signed_out(browser, users_api):
    """The session's browser signed out of every admin, before and after the test: the
    services share one host, so clearing its cookies ends every admin's session."""
    browser.get(f"{users_api.url}/healthz")
    browser.delete_all_cookies()
    yield browser
    browser.get(f"{users_api.url}/healthz")
    browser.delete_all_cookies()


@pytest.fixture(scope="session")
def english_browser(tmp_path_factory) -> Iterator[webdriver.Chrome]:
    """Debian's Chromium asking for English: tests that read the source messages."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile-en"), language="en")
    yield driver
    driver.quit()
