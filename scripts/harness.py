"""The services as deployed, started as processes of their own on this machine.

The end-to-end suite (e2e/conftest.py), the cluster drill (cluster_tests/cluster.py)
and `make bench` (scripts/bench.py) start gunicorn, relays, Celery workers and
``manage.py`` commands the same way, from here. Nothing here is a fixture: each
caller decides how long its processes live.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests

from common.auth import jwt_keys

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVICES = ("users_api", "clients_api", "products_api", "orders_api")
PUBLISHERS = ("clients_api", "products_api", "orders_api")
CONSUMERS = ("products_api", "orders_api")
#: Children per Celery worker as deployed (Procfile, docker-compose.yml; ADR 0156): one,
#: so each run of waiting messages goes to one batch; more consumers are more workers.
WORKER_CONCURRENCY = 1


def production_env(keys_dir: Path, **settings: str) -> dict[str, str]:
    """What an operator sets in production: keys, secrets, hosts; nothing generated.
    Nothing from the shell says which settings, database, cache or broker to use."""
    keys = jwt_keys.ensure_dev_key_pair(keys_dir)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "PYTEST_"))
    }
    env.update(
        ENVIRONMENT="production",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        JWT_PRIVATE_KEY=keys.private_pem,
        JWT_PUBLIC_KEY=keys.public_pem,
        ADMIN_SIGN_IN_SECRET=secrets.token_urlsafe(50),
        **settings,
    )
    return env


@functools.cache
def bench_redis_url() -> str:
    """The Redis a bench uses as broker and cache, and empties: ``BENCH_REDIS_URL`` when
    set (a database nobody else uses), else a server of this process's own on a free
    port, started on the first call and gone when the process ends. Never a database of
    the shared server by default: two benches at once, or anyone else's data there,
    would lose their messages to the other's flush and workers."""
    configured = os.environ.get("BENCH_REDIS_URL")
    if configured:
        return configured
    from common.development import embedded_broker
    from common.development.ports import free_port

    port = free_port()
    base = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    embedded_broker.start_throwaway(base, port)
    return f"redis://127.0.0.1:{port}/0"


def create_database(server: str, name: str) -> str:
    """Creates database ``name`` on the PostgreSQL ``server`` (a URL without a database);
    returns its URL."""
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def drop_database(server: str, name: str) -> None:
    """Drops database ``name``, closing whatever still uses it; absent is fine."""
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(service: str, *args: str, env: dict[str, str]) -> str:
    """``manage.py <args>`` of ``service``; its output. Raises RuntimeError, with the
    command's output, when it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO / service,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"{service}: manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def create_superuser(env: dict[str, str], *, username: str, password: str, email: str) -> None:
    """The back office's first account, in the users_api that ``env`` points at."""
    manage(
        "users_api",
        *("createsuperuser", "--noinput", "--username", username, "--email", email),
        env=dict(env, DJANGO_SUPERUSER_PASSWORD=password),
    )


@dataclass
class Process:
    """A program in a process group of its own: stopping or killing it takes its
    children (gunicorn's and Celery's workers) too."""

    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> Process:
        self.popen = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash or a lost machine would."""
        self._signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self, timeout: float = 20) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; the exit code (None if never
        started)."""
        if self.popen is None:
            return None
        self._signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        return self.popen.returncode

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def gunicorn(
    wsgi: str,
    *,
    chdir: Path,
    port: int,
    env: dict[str, str],
    log: Path,
    workers: int,
    threads: int | None = None,
) -> Process:
    """gunicorn serving ``wsgi`` on 127.0.0.1:``port`` (threads: gunicorn.conf.py's
    unless given); not started."""
    return Process(
        f"{wsgi}@{port}",
        [
            str(BIN / "gunicorn"),
            wsgi,
            "--chdir",
            str(chdir),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            *(["--threads", str(threads)] if threads else []),
            "--no-control-socket",
            "--graceful-timeout",
            "5",
        ],
        env,
        REPO,
        log,
    )


def api(service: str, **options) -> Process:
    """gunicorn serving ``service`` (options as for ``gunicorn``); not started."""
    return gunicorn(f"{service}.wsgi", chdir=REPO / service, **options)


def command(service: str, *args: str, env: dict[str, str], log: Path, name: str = "") -> Process:
    """A long-running ``manage.py <args>`` of ``service`` (a relay, the scheduler);
    not started."""
    return Process(
        name or f"{service}-{args[0]}",
        [sys.executable, "manage.py", *args],
        env,
        REPO / service,
        log,
    )


def worker(
    service: str,
    *,
    env: dict[str, str],
    log: Path,
    concurrency: int,
    level: str = "info",
    heartbeat: bool = True,
    name: str = "",
) -> Process:
    """``service``'s Celery worker on its own queue; not started (``worker_ready`` says
    when it is, at level info)."""
    return Process(
        name or f"{service}-worker",
        [
            str(BIN / "celery"),
            "--quiet",  # no start-up banner: every line of the log is a JSON object
            "-A",
            f"{service}.celery",
            "worker",
            "-Q",
            f"{service}.events",
            "-c",
            str(concurrency),
            "-l",
            level,
            "--without-gossip",
            "--without-mingle",
            *([] if heartbeat else ["--without-heartbeat"]),
            # Celery's default name is the same for every worker on a host; on RabbitMQ the
            # second one then dies on the exclusive pidbox queue.
            "-n",
            f"{service}-{secrets.token_hex(4)}@%h",
        ],
        env,
        REPO / service,
        log,
    )


def children(pid: int) -> list[int]:
    """The processes ``pid`` started, from any of its threads (gunicorn's or Celery's
    pool, say); none once it is gone."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(FileNotFoundError):
            found.extend(int(child) for child in task.read_text().split())
    return found


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds it took ``condition`` to hold; AssertionError naming ``what`` after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def ready(url: str, service: str) -> bool:
    """``service`` answers ready at ``url``: the port's owner is checked, so a process
    that could not bind its port is not mistaken for whatever process holds it."""
    try:
        response = requests.get(f"{url}/readyz", timeout=2)
    except requests.RequestException:
        return False
    return response.status_code == 200 and response.json()["service"] == service


def wait_ready(process: Process, url: str, service: str, timeout: float = 60) -> None:
    """Returns once ``service`` answers ready at ``url``; AssertionError with the log
    when ``process`` exits first or ``timeout`` passes."""

    def up() -> bool:
        if not process.alive():
            raise AssertionError(f"{process.name} exited:\n{process.log_text()[-5000:]}")
        return ready(url, service)

    try:
        wait_until(up, timeout, f"{service} at {url}")
    except AssertionError as error:
        if process.alive():
            raise AssertionError(f"{error}\n{process.log_text()[-5000:]}") from None
        raise


def worker_ready(process: Process, since: int = 0) -> bool:
    """The worker logged that it consumes (after the first ``since`` characters of its log)."""
    if not process.alive():
        raise AssertionError(f"{process.name} exited:\n{process.log_text()[-3000:]}")
    return "ready." in process.log_text()[since:]
