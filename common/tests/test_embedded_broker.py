"""The embedded broker: a real Redis on a Unix socket that never outlives its parent."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from common.development import embedded_broker
from common.tests.conftest import REPO, wait_until

# The parent handles Ctrl-C as one started from a terminal does, even when the test run
# itself was started in the background (which hands its children SIGINT ignored).
STARTS_AND_WAITS = """
import signal, sys, time
from pathlib import Path
from common.development import embedded_broker
signal.signal(signal.SIGINT, signal.default_int_handler)
process = embedded_broker.start(Path(sys.argv[1]))
print(process.pid, flush=True)
time.sleep(600)
"""


def _server_pid(parent: subprocess.Popen) -> int:
    line = parent.stdout.readline().strip()
    assert line, parent.stderr.read()
    return int(line)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_it_runs_with_aof_noeviction_and_no_tcp_port(tmp_path):
    process = embedded_broker.start(tmp_path)
    try:
        import redis

        client = redis.Redis(unix_socket_path=str(embedded_broker.socket_path(tmp_path)))
        assert client.ping()
        assert client.config_get("appendonly")["appendonly"] == "yes"
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert client.config_get("port")["port"] == "0"
        assert not psutil.Process(process.pid).net_connections(kind="tcp")
        with pytest.raises(RuntimeError, match="already answers"):
            embedded_broker.start(tmp_path)
    finally:
        embedded_broker.stop(process)
    assert process.returncode == 0


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_the_server_dies_with_the_process_that_started_it(tmp_path, how):
    parent = subprocess.Popen(
        [sys.executable, "-c", STARTS_AND_WAITS, str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = _server_pid(parent)
    assert embedded_broker.answers(embedded_broker.socket_path(tmp_path))
    os.kill(parent.pid, how)
    parent.wait(10)
    wait_until(lambda: _gone(server), 10, f"redis-server {server} outlived its parent")


def test_the_foreground_runner_stops_the_server_on_sigterm(tmp_path):
    env = dict(os.environ, VAR_DIR=str(tmp_path))
    runner = subprocess.Popen(
        [sys.executable, "-m", "common.development.embedded_broker"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert "embedded broker ready" in runner.stdout.readline()
    sock = tmp_path / "broker" / "redis.sock"
    assert embedded_broker.answers(sock)
    server = next(child.pid for child in psutil.Process(runner.pid).children())
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(15) == 0
    assert "embedded broker stopped" in runner.stdout.read()
    assert _gone(server)
    assert (tmp_path / "broker" / "appendonly.aof").exists() or any(
        (tmp_path / "broker").glob("appendonly*")
    )
    time.sleep(0.1)
    assert not embedded_broker.answers(sock)
