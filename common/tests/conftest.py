"""Brokers, a cuttable network path to them, and worker processes for the event tests.

Redis: the server ``TEST_EVENTS_REDIS_URL`` names (database 14 of the server
`make test` starts for its run), emptied per test, else an embedded one of the
session's own: never a server others use, whose data the tests would erase.
RabbitMQ: the machine's server; without it these tests fail on CI and are
skipped, visibly, elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from kombu import Connection
from kombu.message import Message

from common.development import embedded_broker
from common.development.testing import unavailable
from common.events import topology, transport

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
QUEUE = "common_tests.events"
REDIS_URL = os.environ.get("TEST_EVENTS_REDIS_URL", "")
AMQP_URL = os.environ.get("TEST_EVENTS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s: {message}")


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("embedded-redis")
    process = embedded_broker.start(base)
    yield embedded_broker.url(base)
    embedded_broker.stop(process)


def _reset(url: str) -> None:
    """An empty broker for each test: no leftover messages, no leftover bindings."""
    with Connection(url, connect_timeout=3) as conn:
        if url.startswith("redis"):
            conn.default_channel.client.flushdb()
        else:
            channel = conn.default_channel
            channel.queue_delete(QUEUE)
        topology.declare(conn)


@pytest.fixture(params=["redis", "amqp"])
def broker_url(request, settings) -> Iterator[str]:
    """The broker under test, empty, with this process publishing to it."""
    if request.param == "redis":
        url = REDIS_URL or request.getfixturevalue("embedded_redis")
    else:
        if not _answers(AMQP_URL):
            unavailable(f"RabbitMQ does not answer at {AMQP_URL}")
        url = AMQP_URL
    _reset(url)
    settings.BROKER_URL = url
    yield url
    transport.publisher().close()


def queued_messages(url: str, queue: str = QUEUE) -> int:
    """Messages ready in ``queue`` (not those a worker holds unacknowledged)."""
    with Connection(url, connect_timeout=3) as conn:
        if url.startswith("redis"):
            # Redis has no empty lists, so a passive declare of a drained queue fails.
            return conn.default_channel.client.llen(queue)
        _, count, _ = conn.default_channel.queue_declare(queue, passive=True)
        return count


def drain_events(url: str, queue: str = QUEUE) -> list[tuple[str, list[dict]]]:
    """Takes every ready message off ``queue``: (task name, the envelopes it carries)."""
    taken = []
    with Connection(url, connect_timeout=3) as conn:
        channel = conn.default_channel
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            if not isinstance(message, Message):  # py-amqp hands over its own kind
                message = channel.message_to_python(message)
            task = message.headers["task"]
            first = message.decode()[0][0]
            taken.append((task, first if task == "events.handle_batch" else [first]))
    return taken


class CuttableProxy:
    """A TCP path to the broker that a test can cut and restore, like the broker going away.

    While cut, connections are refused and open ones are closed.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                # shutdown() wakes the thread blocked in accept(); close() alone would
                # leave the kernel accepting connections until accept() returned.
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut while this one was connecting
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1.0)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()


@pytest.fixture
def cuttable(broker_url) -> Iterator[tuple[CuttableProxy, str]]:
    """(proxy, url through the proxy) for the broker under test; TCP brokers only."""
    parts = urlsplit(broker_url)
    if parts.scheme.startswith("redis+socket"):
        pytest.skip("the outage tests need a TCP broker")
    proxy = CuttableProxy(parts.hostname, parts.port)
    proxy.restore()
    auth = f"{parts.username}:{parts.password}@" if parts.username else ""
    url = f"{parts.scheme}://{auth}127.0.0.1:{proxy.port}{parts.path}"
    yield proxy, url
    proxy.cut()


def process_env(broker: str, **extra: str) -> dict[str, str]:
    """The environment of a process a test starts: this test project, the test database
    and the broker under test."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="common.tests.settings",
        DATABASE_URL=database_url(),
        BROKER_URL=broker,
        **extra,
    )


def database_url() -> str:
    """The URL of the test database, for processes the tests start."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    return f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{params['NAME']}"


class Worker:
    """A real Celery worker process of the test project, consuming common_tests.events."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "common.tests.celery",
                "worker",
                "-Q",
                QUEUE,
                "-c",
                "1",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=REPO,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(
            lambda: "ready." in log.read_text() or self.process.poll() is not None,
            30,
            f"worker ready; log:\n{log.read_text()}",
        )
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited:\n{log.read_text()}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(tmp_path) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def start(broker: str, **extra_env: str) -> Worker:
        env = process_env(
            broker,
            TESTAPP_MARKER_DIR=str(tmp_path),
            **extra_env,
        )
        worker = Worker(env, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
