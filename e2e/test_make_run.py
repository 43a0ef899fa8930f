"""`make run` (scripts/run.py under honcho) on the embedded defaults: everything comes up,
everything goes down, and nothing is left behind."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
SERVICES = ["users_api", "clients_api", "products_api", "orders_api"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def running(tmp_path):
    ports = {service: _free_port() for service in SERVICES}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("DATABASE_URL", "BROKER_URL", "CACHE_URL"))
    }
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()},
    )
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    waiting = dict(ports)
    while waiting and time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        for service, port in list(waiting.items()):
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).ok:
                    del waiting[service]
            except requests.ConnectionError:
                pass  # not listening yet
        time.sleep(0.5)
    assert not waiting, f"not ready: {waiting}\n{log.read_text()}"
    family = psutil.Process(process.pid).children(recursive=True)
    yield process, family, log
    if process.poll() is None:
        process.kill()
    for member in family:  # whatever a failure left running
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()


def _all_gone(family, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.2)
    return [(p.pid, " ".join(p.cmdline())) for p in alive]


def test_everything_starts_and_sigterm_stops_everything(running):
    process, family, log = running
    commands = " ".join(" ".join(p.cmdline()) for p in family)
    for expected in (
        "redis-server",
        "relay_outbox",
        "run_scheduler",
        "orders_api.celery",
        "products_api.celery",
        *(f"{service}.wsgi" for service in SERVICES),
    ):
        assert expected in commands, expected
    output = log.read_text()
    assert "users_api" in output and "http://127.0.0.1:" in output  # the URLs were printed
    process.send_signal(signal.SIGTERM)
    process.wait(60)
    assert _all_gone(family) == []


def test_a_crashed_process_stops_the_others_and_is_named(running):
    process, family, log = running
    api = next(
        p
        for p in family
        if "clients_api.wsgi" in " ".join(p.cmdline())
        and p.parent().pid
        not in {c.pid for c in family if "clients_api.wsgi" in " ".join(c.cmdline())}
    )
    api.kill()
    assert process.wait(60) != 0
    assert _all_gone(family) == []
    assert "clients_api.1 stopped" in log.read_text()
