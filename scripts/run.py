"""`make run`: migrate every service, print where everything is, start them all, keep them up.

Every line of the Procfile runs as a process of its own (its own process group).
One that exits while the system is up is started again after a backoff (1 s
doubling to 30 s; back to 1 s once it has stayed up a minute), and the restart
is logged, so a crashed relay, worker or API does not take the rest down.
Ctrl-C or SIGTERM stops everything: SIGTERM to every process group, SIGKILL to
whatever is still there after the grace period. The children also get SIGTERM
from the kernel if this supervisor itself is killed (PR_SET_PDEATHSIG).

Relays, workers and the scheduler serve their Prometheus metrics on free ports
chosen here (METRICS_PORT); var/prometheus/targets.json lists every endpoint
for deploy/prometheus/run.yml. With ``BROKER_URL`` set (Redis or RabbitMQ) the
services use that broker and the embedded one is not started.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from common.development import embedded_broker  # noqa: E402
from common.development.devfiles import ensure_dev_files  # noqa: E402
from common.development.ports import SERVICE_PORTS, free_port  # noqa: E402
from common.operations import logging_setup  # noqa: E402
from common.settings.environment import var_dir  # noqa: E402

VENV_BIN = Path(sys.executable).parent

GRACE_SECONDS = 20.0
BACKOFF_FIRST, BACKOFF_MAX, STABLE_AFTER = 1.0, 30.0, 60.0
# Procfile lines whose process serves its metrics on a port of its own.
_METRICS_ROLES = re.compile(r"(?:^|_)(relay|worker|scheduler)$")

logger = logging.getLogger("run")

#: The Procfile's process that runs the embedded broker.
EMBEDDED_BROKER = "broker"


def _manage(service: str, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO / service, check=True)


def read_procfile(path: Path) -> list[tuple[str, str]]:
    """The (name, command) lines of a Procfile, in order; comments and blanks skipped."""
    entries = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        entries.append((name.strip(), command.strip()))
    return entries


try:
    _libc = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded here, not in the forked child
except OSError:
    _libc = None  # not Linux: Ctrl-C and SIGTERM still stop everything


def processes_to_start(procfile: Path, broker_url: str) -> list[tuple[str, str]]:
    """Every (name, command), less the embedded broker when ``broker_url`` names another."""
    entries = read_procfile(procfile)
    return [e for e in entries if e[0] != EMBEDDED_BROKER] if broker_url else entries


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the supervisor dies, however it dies
    (PR_SET_PDEATHSIG; children are started from the main thread, whose end it watches)."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM)


@dataclass
class Program:
    name: str
    command: str
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None
    restarts: int = 0
    pumps: list[threading.Thread] = field(default_factory=list)


class Supervisor:
    """Starts the programs, restarts the ones that exit, stops them all on request."""

    def __init__(self, programs: list[Program], *, prefix_output: bool) -> None:
        self.programs = programs
        self.prefix_output = prefix_output
        self.stopping = threading.Event()
        self.width = max(len(program.name) for program in programs)

    def start(self, program: Program) -> None:
        program.process = subprocess.Popen(
            ["/bin/sh", "-c", program.command],
            cwd=REPO,
            env=program.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, signalled as a whole
            preexec_fn=_die_with_parent,
        )
        program.started_at = time.monotonic()
        program.restart_at = None
        pump = threading.Thread(target=self._pump, args=(program, program.process), daemon=True)
        pump.start()
        program.pumps = [pump]
        logger.info("%s started (pid %s)", program.name, program.process.pid)

    def _pump(self, program: Program, process: subprocess.Popen) -> None:
        """Copies the program's output to ours, a line at a time (prefixed in text mode)."""
        prefix = f"{program.name:<{self.width}} | ".encode() if self.prefix_output else b""
        for line in iter(process.stdout.readline, b""):  # type: ignore[union-attr]
            sys.stdout.buffer.write(prefix + line)
            sys.stdout.buffer.flush()

    def run(self) -> int:
        for program in self.programs:
            self.start(program)
        while not self.stopping.is_set():
            now = time.monotonic()
            for program in self.programs:
                self._watch(program, now)
            self.stopping.wait(0.2)
        return self.stop_all()

    def _watch(self, program: Program, now: float) -> None:
        if program.restart_at is not None:
            if now >= program.restart_at:
                program.restarts += 1
                self.start(program)
            return
        code = program.process.poll()  # type: ignore[union-attr]
        if code is None:
            if now - program.started_at >= STABLE_AFTER:
                program.backoff = BACKOFF_FIRST
            return
        self._kill_group(program.process, signal.SIGKILL)  # whatever it left behind
        program.restart_at = now + program.backoff
        logger.error(
            "%s (pid %s) exited with %s; restarting in %.0f s",
            program.name,
            program.process.pid,
            _describe(code),
            program.backoff,
        )
        program.backoff = min(program.backoff * 2, BACKOFF_MAX)

    @staticmethod
    def _kill_group(process: subprocess.Popen, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)

    def stop_all(self) -> int:
        running = [p.process for p in self.programs if p.process and p.process.poll() is None]
        logger.info("stopping %s processes", len(running))
        for program in self.programs:
            if program.process is not None:
                self._kill_group(program.process, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for process in running:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                logger.warning("pid %s did not stop in %.0f s: killed", process.pid, GRACE_SECONDS)
        for program in self.programs:  # groups: a gunicorn's or celery's own children too
            if program.process is not None:
                self._kill_group(program.process, signal.SIGKILL)
                program.process.wait()
        for program in self.programs:
            for pump in program.pumps:
                pump.join(2)
        logger.info("everything stopped")
        return 0


def _describe(code: int) -> str:
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"code {code}"


def _write_targets(apis: dict[str, int], metrics_ports: dict[str, int]) -> Path:
    """Prometheus file_sd targets: every API's /metrics and every other process's port."""
    directory = var_dir() / "prometheus"
    directory.mkdir(parents=True, exist_ok=True)
    groups = [
        {"targets": [f"127.0.0.1:{port}"], "labels": {"job": service, "role": "api"}}
        for service, port in apis.items()
    ]
    for name, port in metrics_ports.items():
        role = _METRICS_ROLES.search(name)
        groups.append(
            {
                "targets": [f"127.0.0.1:{port}"],
                "labels": {"job": name, "role": role.group(1) if role else "process"},
            }
        )
    path = directory / "targets.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(groups, indent=2))
    temporary.replace(path)  # Prometheus never reads half a file
    return path


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging_setup.formatter_class().rsplit(".", 1)[1]
    handler.setFormatter(getattr(logging_setup, formatter)())
    handler.addFilter(logging_setup.ContextFilter(service="make-run", role="supervisor"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main() -> int:
    env = dict(os.environ)
    # A terminal by default; LOG_FORMAT=json gives the one-object-a-line of production.
    env.setdefault("LOG_FORMAT", "text")
    os.environ["LOG_FORMAT"] = env["LOG_FORMAT"]
    _configure_logging()
    lines = []
    apis = {}
    for service, default_port in SERVICE_PORTS.items():
        port = int(env.setdefault(f"{service.upper()}_PORT", str(default_port)))
        apis[service] = port
        # Before any of its processes starts, so none of them races another to make them.
        ensure_dev_files(service)
        print(f"==> {service}: migrating its database", flush=True)
        _manage(service, "migrate", "--noinput", "-v", "0")
        _manage(service, "collectstatic", "--noinput", "-v", "0")
        base = f"http://127.0.0.1:{port}"
        # The admin sites link to each other, and sign in against users_api, where it runs.
        env.setdefault(f"{service.upper()}_PUBLIC_URL", base)
        if service == "users_api":
            env.setdefault("USERS_API_URL", base)
        lines += [
            f"  {service}",
            f"    API      {base}/api/v1/",
            f"    docs     {base}/api/docs/",
            f"    admin    {base}/admin/",
            f"    health   {base}/healthz  {base}/readyz",
            f"    metrics  {base}/metrics",
        ]
    programs = []
    metrics_ports = {}
    broker_url = env.get("BROKER_URL", "").strip()
    for name, command in processes_to_start(REPO / "Procfile", broker_url):
        program_env = dict(env)
        if _METRICS_ROLES.search(name):
            metrics_ports[name] = free_port()
            program_env["METRICS_PORT"] = str(metrics_ports[name])
        programs.append(Program(name, command, program_env))
    targets = _write_targets(apis, metrics_ports)
    if broker_url:
        lines.append(f"  broker (BROKER_URL)  {_without_password(broker_url)}")
    else:
        lines.append(f"  embedded broker (Redis)  {embedded_broker.url()}")
    lines.append(
        "  metrics of relays and workers  "
        + "  ".join(f"{name} :{port}" for name, port in metrics_ports.items())
    )
    lines.append(
        f"  Prometheus: prometheus --config.file=deploy/prometheus/run.yml  (targets in {targets})"
    )
    print("\nSistema Multi-APIs is starting:\n" + "\n".join(lines), flush=True)
    print(
        "\nFirst admin (once):\n"
        "  DJANGO_SUPERUSER_PASSWORD='choose-a-strong-one' .venv/bin/python "
        "users_api/manage.py createsuperuser --noinput --username admin "
        "--email admin@example.com\n"
        "Token:\n"
        f"  curl -s -X POST http://127.0.0.1:{env['USERS_API_PORT']}/api/v1/auth/token "
        "-H 'Content-Type: application/json' "
        '-d \'{"username": "admin", "password": "choose-a-strong-one"}\'\n'
        "\nA process that crashes is restarted. Ctrl-C stops everything.\n",
        flush=True,
    )
    supervisor = Supervisor(programs, prefix_output=env["LOG_FORMAT"] == "text")

    def request_stop(signum: int, frame: object) -> None:
        logger.info("%s: stopping everything", signal.Signals(signum).name)
        supervisor.stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
