"""A real Prometheus (Debian's ``prometheus`` package) scrapes the running services and
evaluates deploy/prometheus/rules.yml: a stopped worker shows up as the backlog alert's
expression turning true, and clears once the worker resumes.

Without Prometheus these tests are skipped with the reason (`make test` installs it
when it can); on CI (``CI=true``) a missing Prometheus fails them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests
import yaml

from common.development.ports import free_port
from common.development.testing import unavailable
from e2e.conftest import new_cpf
from e2e.test_orders_story import _auth
from scripts.harness import REPO

RULES_DIR = REPO / "deploy" / "prometheus"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(
            f"{name} is not installed (Debian's prometheus package; `make test` installs it)"
        )
    return path


def _rule(name: str) -> dict:
    rules = yaml.safe_load((RULES_DIR / "rules.yml").read_text())
    return next(
        rule for group in rules["groups"] for rule in group["rules"] if rule.get("alert") == name
    )


def test_the_alert_rules_and_configs_pass_promtool():
    promtool = _tool("promtool")
    for command in (
        ["check", "rules", "rules.yml"],
        ["test", "rules", "rules.test.yml"],
        ["check", "config", "compose.yml"],
        ["check", "config", "run.yml"],
    ):
        result = subprocess.run(
            [promtool, *command], cwd=RULES_DIR, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, (
            f"promtool {' '.join(command)}:\n{result.stdout}{result.stderr}"
        )


@pytest.fixture
def prometheus(orders_api, tmp_path) -> Iterator[str]:
    """Prometheus scraping orders_api every second, with the project's rules."""
    binary = _tool("prometheus")
    target = orders_api.url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(RULES_DIR / "rules.yml")],
                "scrape_configs": [
                    {
                        "job_name": "orders_api",
                        "scrape_timeout": "1s",
                        "static_configs": [{"targets": [target]}],
                    }
                ],
            }
        )
    )
    port = free_port()
    log = tmp_path / "prometheus.log"
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _query(url, 'up{job="orders_api"}') == [1.0], 60, "target up", log)
        yield url
    finally:
        process.terminate()
        process.wait(20)


def _query(url: str, expression: str) -> list[float] | None:
    try:
        response = requests.get(f"{url}/api/v1/query", params={"query": expression}, timeout=5)
    except requests.ConnectionError:
        return None
    if response.status_code != 200:
        return None
    return [float(item["value"][1]) for item in response.json()["data"]["result"]]


def _until(condition, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s: {what}\n{log.read_text() if log else ''}")


def _worker_of(service: str) -> psutil.Process:
    """The Celery worker the e2e fixtures started for ``service`` (its own process group)."""
    return next(
        child
        for child in psutil.Process().children()
        if f"{service}.celery" in " ".join(child.cmdline())
    )


def test_a_stopped_worker_turns_the_backlog_alert_on_and_resuming_clears_it(
    prometheus, users_api, clients_api, orders_api
):
    backlog = _rule("EventsBacklog")["expr"]
    assert _query(prometheus, backlog) == []
    auth = _auth(users_api)
    client = requests.post(
        f"{clients_api.url}/api/v1/clients/",
        headers=auth,
        timeout=10,
        json={"kind": "individual", "name": "Dona Florinda", "document": new_cpf()},
    )
    assert client.status_code == 201, client.text
    worker = _worker_of("orders_api")
    os.killpg(worker.pid, signal.SIGSTOP)
    try:
        for n in range(6):  # more than the stopped worker holds prefetched
            changed = requests.patch(
                f"{clients_api.url}/api/v1/clients/{client.json()['id']}/",
                headers=auth,
                timeout=10,
                json={"name": f"Dona Florinda {n}"},
            )
            assert changed.status_code == 200, changed.text
        _until(
            lambda: bool(_query(prometheus, backlog)),
            60,
            f"{backlog} becomes true while the worker is stopped",
        )
        assert _query(prometheus, "max(events_queue_depth)")[0] >= 1
    finally:
        os.killpg(worker.pid, signal.SIGCONT)
    _until(lambda: _query(prometheus, backlog) == [], 60, f"{backlog} clears after SIGCONT")
    copy = f"{orders_api.url}/api/v1/client-snapshots/{client.json()['id']}/"
    _until(
        lambda: (
            requests.get(copy, headers=auth, timeout=10).json().get("name") == "Dona Florinda 5"
        ),
        30,
        "the resumed worker applied the updates",
    )
