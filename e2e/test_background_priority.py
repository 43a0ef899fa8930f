"""Relays and workers yield the cores to requests (common.operations.priority): on one
machine, a burst of orders lengthens the event lag, not the answers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from e2e.conftest import start_relay, start_worker
from scripts import harness


def niceness(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field, counted after the command's closing parenthesis.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def session_niceness(pid: int) -> int:
    # /proc/<pid>/autogroup: "/autogroup-<id> nice <n>"; the scheduler shares the cores
    # between these groups first, so a niceness without its group's would weigh nothing.
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


def deployed(service, niceness: str | None):
    """``service`` with ``BACKGROUND_NICENESS`` as deployed (unset: its default), or set."""
    env = {key: value for key, value in service.env.items() if key != "BACKGROUND_NICENESS"}
    return dataclasses.replace(
        service, env=env if niceness is None else env | {"BACKGROUND_NICENESS": niceness}
    )


def test_relays_and_workers_run_below_the_requests(clients_api, tmp_path):
    service = deployed(clients_api, None)  # the suite runs its own at 0 (scripts/run_tests.py)
    relay = start_relay(service, tmp_path)
    worker = start_worker(service, tmp_path)  # returns once the worker is ready
    try:
        harness.wait_until(lambda: niceness(relay.pid) == 10, 30, "the relay at niceness 10")
        assert session_niceness(relay.pid) == 10
        pool = harness.children(worker.pid)
        assert pool, "the worker has no pool processes"
        assert [niceness(pid) for pid in [worker.pid, *pool]] == [10] * (1 + len(pool))
        assert [session_niceness(pid) for pid in [worker.pid, *pool]] == [10] * (1 + len(pool))
        # The requests' processes keep the priority they were started with.
        api = [clients_api.process.pid, *harness.children(clients_api.process.pid)]
        assert [(niceness(pid), session_niceness(pid)) for pid in api] == [(0, 0)] * 3
    finally:
        assert relay.stop(15) == 0, relay.log_text()
        assert worker.stop(20) == 0, worker.log_text()


def test_the_niceness_is_a_setting(clients_api, tmp_path):
    service = deployed(clients_api, "3")
    relay = start_relay(service, tmp_path)
    try:
        harness.wait_until(lambda: niceness(relay.pid) == 3, 30, "the relay at niceness 3")
    finally:
        assert relay.stop(15) == 0, relay.log_text()
