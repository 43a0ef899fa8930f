"""`make run` (scripts/run.py, which supervises the Procfile's processes) on the embedded
defaults and on RabbitMQ: everything comes up and stays up, a crashed process comes back,
everything goes down, and nothing is left behind."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from common.development.ports import free_port
from common.development.testing import unavailable

REPO = Path(__file__).resolve().parent.parent
SERVICES = ["users_api", "clients_api", "products_api", "orders_api"]


def _start(tmp_path, **extra_env):
    """scripts/run.py with its own ports and var/; waits until every API is ready."""
    ports = {service: free_port() for service in SERVICES}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("DATABASE_URL", "BROKER_URL", "CACHE_URL"))
    }
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()},
        **extra_env,
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
    try:
        while waiting and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            for service, port in list(waiting.items()):
                try:
                    if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).ok:
                        del waiting[service]
                except (requests.ConnectionError, requests.Timeout):
                    pass  # not listening yet, or still booting on a busy machine
            time.sleep(0.5)
        assert not waiting, f"not ready: {waiting}\n{log.read_text()}"
    except BaseException:
        # The fixture never yields: nothing else would stop what did start.
        _stop(process, [])
        raise
    family = psutil.Process(process.pid).children(recursive=True)
    return process, family, log, ports


def _stop(process, family):
    if process.poll() is None:
        family += psutil.Process(process.pid).children(recursive=True)  # restarted ones too
        process.kill()
    for member in family:  # whatever a failure left running
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()


@pytest.fixture
def running(tmp_path):
    process, family, log, ports = _start(tmp_path)
    yield process, family, log, ports
    _stop(process, family)


@pytest.fixture
def running_on_rabbitmq(tmp_path):
    """`BROKER_URL=amqp://... make run`, in a virtual host of its own (E2E_AMQP_URL)."""
    url = os.environ.get("E2E_AMQP_URL", "")
    if not url:
        unavailable("E2E_AMQP_URL is not set: `make test` sets it when RabbitMQ answers")
    process, family, log, ports = _start(tmp_path, BROKER_URL=url)
    yield process, family, log, ports
    _stop(process, family)


def _all_gone(family, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.2)
    return [(p.pid, " ".join(p.cmdline())) for p in alive]


def test_everything_starts_and_sigterm_stops_everything(running, tmp_path):
    process, family, log, _ports = running
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
    # Every API, relay and worker serves metrics, each on a port of its own, listed for
    # Prometheus (deploy/prometheus/run.yml reads this file).
    groups = json.loads((tmp_path / "var" / "prometheus" / "targets.json").read_text())
    targets = {group["labels"]["job"]: group["targets"][0] for group in groups}
    assert set(targets) >= {
        *SERVICES,
        "users_relay",
        "clients_relay",
        "clients_worker",
        "orders_worker",
        "products_worker",
    }
    assert len(set(targets.values())) == len(targets)

    def serving(target):
        try:
            return requests.get(f"http://{target}/metrics", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    _wait_for(lambda: all(serving(t) for t in targets.values()), 60, f"metrics:\n{targets}")
    process.send_signal(signal.SIGTERM)
    process.wait(60)
    assert _all_gone(family) == []


def _main_process(family, needle):
    """The process running ``needle`` whose parent does not (a gunicorn or celery master)."""
    matching = [p for p in family if needle in " ".join(p.cmdline())]
    pids = {p.pid for p in matching}
    return next(p for p in matching if p.parent().pid not in pids)


def _wait_for(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(message)


def _orders_worker_ready_lines(log) -> int:
    return sum(
        "orders_api/worker celery.apps.worker:" in line and line.endswith(" ready.")
        for line in log.read_text().splitlines()
    )


def test_a_killed_worker_is_restarted_and_logged_while_the_rest_stays_up(running):
    process, family, log, ports = running
    _wait_for(lambda: _orders_worker_ready_lines(log) == 1, 60, f"worker ready:\n{log.read_text()}")
    worker = _main_process(family, "orders_api.celery")
    worker.kill()
    _wait_for(
        lambda: (
            f"orders_worker (pid {worker.pid}) exited with signal SIGKILL; restarting"
            in log.read_text()
        ),
        30,
        f"the crash is logged:\n{log.read_text()}",
    )

    def restarted():
        current = psutil.Process(process.pid).children(recursive=True)
        commands = [" ".join(p.cmdline()) for p in current if p.is_running()]
        return any("orders_api.celery" in c for c in commands)

    _wait_for(restarted, 30, f"a new orders worker runs:\n{log.read_text()}")
    new_worker = _main_process(
        psutil.Process(process.pid).children(recursive=True), "orders_api.celery"
    )
    assert new_worker.pid != worker.pid
    _wait_for(
        lambda: _orders_worker_ready_lines(log) == 2,
        60,
        f"the new worker is ready:\n{log.read_text()}",
    )
    assert process.poll() is None  # the supervisor and everything else stayed up
    for service, port in ports.items():
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).ok, service
    family_now = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGTERM)
    process.wait(60)
    assert _all_gone(family + family_now) == []


def test_a_killed_supervisor_leaves_nothing_behind(running):
    # SIGKILL cannot be handled: the children learn of it from the kernel (PDEATHSIG).
    process, family, _log, _ports = running
    process.kill()
    process.wait(10)
    assert _all_gone(family, timeout=60) == []


def test_on_rabbitmq_no_embedded_broker_starts_and_every_worker_stays_up(running_on_rabbitmq):
    process, family, log, ports = running_on_rabbitmq
    commands = " ".join(" ".join(p.cmdline()) for p in family)
    assert "redis-server" not in commands and "embedded_broker" not in commands
    for expected in (
        "relay_outbox",
        "clients_api.celery",
        "orders_api.celery",
        "products_api.celery",
    ):
        assert expected in commands, expected
    deadline = time.monotonic() + 60
    while log.read_text().count(" ready.") < 3:  # each worker logs "<node name> ready."
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.5)
    time.sleep(10)  # a worker whose node name clashed dies within a second or two
    output = log.read_text()
    assert process.poll() is None, output
    assert "RESOURCE_LOCKED" not in output
    assert all(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family), output
    assert "broker (BROKER_URL)  amqp://guest:***@" in output  # no embedded broker announced
    ready = requests.get(f"http://127.0.0.1:{ports['orders_api']}/readyz", timeout=10).json()
    assert ready["components"]["broker"] == "up"
    assert ready["components"]["consumer"] == "up"
    process.send_signal(signal.SIGTERM)
    process.wait(60)
    assert _all_gone(family) == []
