"""`make bench`: the running system under load on this machine, and its floor and ceiling.

Starts the four services as deployed (production settings, gunicorn, PostgreSQL,
Redis, relays and workers) on fresh databases, seeds 1,000 clients with two
addresses each and 1,000 products (their copies reach orders_api through the
events), then measures each scenario twice:

- throughput at saturation: ``wrk`` (a C load generator, so the load costs the
  two cores little) with ``--connections`` keep-alive connections for
  ``--seconds``;
- latency at a fixed moderate rate (``--rate`` requests/s, open loop: a request's
  latency counts from when it was due, so a stall is not hidden).

The same run measures the floor and the ceiling of each scenario: a bare Django
view running the scenario's SQL (scripts/bench/sql/, the statements the endpoint
issues) under the same gunicorn, and pgbench running that SQL directly. Beside
them, the same endpoints in a typical DRF project (scripts/bench_typical/, written
the way DRF's documentation teaches) on the same data, token and gunicorn. The
endpoint, its floor and the typical project take turns at saturation ``--rounds``
times and each keeps its median, so the ratios compare them under the same spells
of the machine. Event
lag is a price change in products_api until the copy in orders_api has it, at
``--event-rate`` changes/s. The memory (now and peak) of every gunicorn and
Celery worker process and of the relays closes the report.

Everything runs on loopback and stops by itself. Each scenario's targets are
printed with whether they were met, and the run exits 1 when one is missed by
more than ``NOISE``. Not part of `make test`: its figures depend on the
machine. ``--write`` records the results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import json
import os
import random
import re
import secrets
import select
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import bench_profile
import harness
from bench_events import commit_label, percentile, record
from harness import CONSUMERS, PUBLISHERS, REPO, SERVICES

from common.development.ports import free_port

SCRIPTS = REPO / "scripts" / "bench"
PG = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
MARK_BEGIN = "<!-- bench:begin -->"
MARK_END = "<!-- bench:end -->"
TIMES = "\N{MULTIPLICATION SIGN}"
ADMIN = ("bench-admin", "Bench-Admin-Pass-2026")


def _sql(database_url: str, statement: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


#: Run-to-run spread of a figure on this machine (docs/performance.md says how it was
#: measured): a target missed by less than this is reported, but does not fail the run.
NOISE = 0.15
#: Resident memory of each API worker process after the run.
MEMORY_TARGET_MB = 120


@dataclass(frozen=True)
class Target:
    """One target of a scenario: ``measure`` of its result against ``bound``."""

    label: str
    measure: str  # a Result attribute, "floor_ratio" or "typical_ratio"
    bound: float
    at_least: bool = True

    def value(self, result: Result) -> float:
        if self.measure == "floor_ratio":
            return result.throughput / result.floor
        if self.measure == "typical_ratio":
            return result.throughput / result.typical
        return getattr(result, self.measure)

    def met(self, result: Result) -> bool:
        value = self.value(result)
        return value >= self.bound if self.at_least else value <= self.bound

    def missed_beyond_noise(self, result: Result) -> bool:
        value = self.value(result)
        if self.at_least:
            return value < self.bound * (1 - NOISE)
        return value > self.bound * (1 + NOISE)


@dataclass
class Result:
    scenario: str
    throughput: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    floor: float = 0.0
    ceiling: float = 0.0
    typical: float = 0.0  # the typical DRF project's req/s; 0 when not measured
    targets: tuple[Target, ...] = ()

    @property
    def target(self) -> str:
        return " · ".join(target.label for target in self.measured_targets)

    @property
    def met(self) -> str:
        """The report's "met" cell: yes, or each target missed and whether only by noise."""
        missed = [
            target.label + ("" if target.missed_beyond_noise(self) else " (within noise)")
            for target in self.measured_targets
            if not target.met(self)
        ]
        if not self.targets:
            return ""
        return "yes" if not missed else "no: " + ", ".join(missed)

    @property
    def measured_targets(self) -> tuple[Target, ...]:
        """The targets this run measured (``--no-typical`` leaves the typical ratio out)."""
        return tuple(
            target for target in self.targets if target.measure != "typical_ratio" or self.typical
        )

    @property
    def failed(self) -> bool:
        return any(target.missed_beyond_noise(self) for target in self.measured_targets)


class System:
    """The four services, their relays and workers, the floor app; all stopped at the end."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.suffix = uuid.uuid4().hex[:8]
        self.logs = REPO / "var" / "bench"
        shutil.rmtree(self.logs, ignore_errors=True)
        self.logs.mkdir(parents=True)
        self.data = self.logs / "data"
        self.data.mkdir()
        self.processes: dict[str, harness.Process] = {}
        self.urls: dict[str, str] = {}
        self.databases: dict[str, str] = {}
        self.base_env = harness.production_env(
            self.logs / "keys",
            VAR_DIR=str(self.logs / "var"),
            BROKER_URL=harness.bench_redis_url(),
            CACHE_URL=harness.bench_redis_url(),
            LOG_LEVEL="WARNING",
        )

    def env(self, service: str) -> dict[str, str]:
        return dict(
            self.base_env,
            DATABASE_URL=self.databases[service],
            SECRET_KEY=f"bench-{service}-{secrets.token_urlsafe(40)}",
        )

    def manage(self, service: str, *args: str) -> None:
        print(harness.manage(service, *args, env=self.env(service)), end="", flush=True)

    def gunicorn(self, name: str, wsgi: str, *, env: dict[str, str], chdir: Path) -> str:
        port = free_port()
        self.processes[name] = harness.gunicorn(
            wsgi,
            chdir=chdir,
            port=port,
            env=env,
            log=self.logs / f"{name}.log",
            workers=self.args.gunicorn_workers,
            threads=self.args.gunicorn_threads,
        ).start()
        return f"http://127.0.0.1:{port}"

    def start(self) -> None:
        import redis

        print(
            f"==> databases bench_*_{self.suffix} on {PG}, "
            f"broker and cache {harness.bench_redis_url()}",
            flush=True,
        )
        redis.Redis.from_url(harness.bench_redis_url()).flushdb()
        for name in SERVICES:
            self.databases[name] = harness.create_database(PG, f"bench_{name}_{self.suffix}")
        print("==> migrating", flush=True)
        with concurrent.futures.ThreadPoolExecutor(len(SERVICES)) as pool:
            list(pool.map(lambda name: self.manage(name, "migrate", "-v", "0"), SERVICES))
        print(
            f"==> starting gunicorn ({self.args.gunicorn_workers} workers x "
            f"{self.args.gunicorn_threads} threads per service), relays and workers",
            flush=True,
        )
        for name in SERVICES:
            self.urls[name] = self.gunicorn(
                name, f"{name}.wsgi", env=self.env(name), chdir=REPO / name
            )
        for name in PUBLISHERS:
            self.processes[f"{name}-relay"] = harness.command(
                name,
                *("relay_outbox", "--report-every", "3600"),
                env=self.env(name),
                log=self.logs / f"{name}-relay.log",
            ).start()
        for name in CONSUMERS:
            self.processes[f"{name}-worker"] = harness.worker(
                name,
                env=self.env(name),
                log=self.logs / f"{name}-worker.log",
                concurrency=self.args.celery_workers,
                level="warning",
                heartbeat=False,
            ).start()
        floor_env = dict(
            self.base_env,
            **{f"BENCH_{name.upper()}_URL": self.databases[name] for name in SERVICES},
        )
        self.urls["floor"] = self.gunicorn(
            "floor", "bench_floor:application", env=floor_env, chdir=REPO / "scripts"
        )
        if self.args.typical:
            self.urls["typical"] = self.gunicorn(
                "typical", "bench_typical.wsgi:application", env=floor_env, chdir=REPO / "scripts"
            )
        for name in SERVICES:
            harness.wait_ready(self.processes[name], self.urls[name], name)
        harness.wait_until(lambda: _healthy(self.urls["floor"]), 60, "the floor app")
        if self.args.typical:
            harness.wait_until(lambda: _healthy(self.urls["typical"]), 60, "the typical project")

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        for database in self.databases.values():
            server, name = database.rsplit("/", 1)
            harness.drop_database(server, name)

    def token(self) -> str:
        """A fresh superuser access token (they live minutes; each scenario takes a new one)."""
        import requests

        response = requests.post(
            f"{self.urls['users_api']}/api/v1/auth/token",
            json={"username": ADMIN[0], "password": ADMIN[1]},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["access"]

    def seed(self) -> None:
        count = self.args.seed
        print(f"==> seeding {count} clients (2 addresses each) and {count} products", flush=True)
        harness.create_superuser(
            self.env("users_api"), username=ADMIN[0], password=ADMIN[1], email="bench@example.com"
        )
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            seeds = [
                pool.submit(self.manage, service, "seed_bench", f"{count}")
                for service in ("clients_api", "products_api")
            ]
            for seed in seeds:
                seed.result()
        print("==> waiting for the copies in orders_api", flush=True)
        orders_db = self.databases["orders_api"]
        deadline = time.monotonic() + 300
        while True:
            clients, products = _sql(
                orders_db,
                "SELECT (SELECT count(*) FROM orders_clientsnapshot "
                "        WHERE jsonb_array_length(addresses) = 2),"
                "       (SELECT count(*) FROM orders_productsnapshot)",
            )[0]
            if clients == count and products == count:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"copies incomplete after 300 s: {clients} clients, {products}")
            time.sleep(1)
        self._ids("clients", orders_db, "SELECT id FROM orders_clientsnapshot ORDER BY id")
        # The same ids in products_api and in orders_api's copies: one list, two tables.
        self._ids(
            "products",
            self.databases["products_api"],
            "SELECT id FROM products_product ORDER BY sku",
        )
        self._id_table("products", orders_db, "SELECT id FROM orders_productsnapshot ORDER BY sku")
        terms = [f"Bench%20{n:04d}" for n in range(count)]
        (self.data / "search_terms.txt").write_text("\n".join(terms) + "\n")

    def _ids(self, kind: str, database: str, query: str) -> None:
        """``<kind>.txt`` for wrk and table ``bench_<kind>`` (n, id) for the SQL scripts."""
        rows = self._id_table(kind, database, query)
        (self.data / f"{kind}.txt").write_text("".join(f"{row[0]}\n" for row in rows))

    @staticmethod
    def _id_table(kind: str, database: str, query: str) -> list[tuple]:
        """Table ``bench_<kind>`` (n, id) of the ids ``query`` finds, n from 1 to 1,000."""
        rows = _sql(database, query)
        if not rows:
            raise SystemExit(f"no {kind} to read")
        _sql(database, f"DROP TABLE IF EXISTS bench_{kind}")
        _sql(database, f"CREATE TABLE bench_{kind} (n integer PRIMARY KEY, id uuid NOT NULL)")
        _sql(
            database,
            f"INSERT INTO bench_{kind} SELECT row_number() OVER (), id FROM ({query}) AS ids",  # noqa: S608 - the bench's own constants
        )
        # The scripts draw n from 1..1000 whatever was seeded: repeat ids up to 1,000.
        _sql(
            database,
            f"INSERT INTO bench_{kind} SELECT g, (SELECT id FROM bench_{kind} "  # noqa: S608
            f"WHERE n = 1 + (g - 1) %% {len(rows)}) FROM generate_series({len(rows) + 1}, 1000) g",
        )
        return rows

    def write_orders(self) -> None:
        """The orders the creation scenario made, for the order detail scenario."""
        self._ids("orders", self.databases["orders_api"], "SELECT id FROM orders_order LIMIT 1000")

    def settle(self) -> None:
        """Waits for the workers to drain their queues: one measurement's events are not
        handled during the next one."""
        import redis

        broker = redis.Redis.from_url(harness.bench_redis_url())
        deadline = time.monotonic() + 300
        while any(broker.llen(f"{name}.events") for name in CONSUMERS):
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not drain their queues in 300 s")
            time.sleep(0.5)
        time.sleep(1)  # the message each worker may still be handling

    def memory(self) -> dict[str, list[tuple[float, float]]]:
        """(RSS now, peak RSS) in MB of each process that does the work: gunicorn's and
        Celery's worker processes (not their masters), and the relays."""
        found: dict[str, list[tuple[float, float]]] = {}
        for name, process in self.processes.items():
            if name in ("floor", "typical") or not process.alive():
                continue
            pids = [process.pid] if name.endswith("-relay") else harness.children(process.pid)
            found[name] = [_rss_mb(pid) for pid in pids]
        return found


def _healthy(url: str) -> bool:
    import requests

    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _rss_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    now, peak = (
        int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024
        for field in ("VmRSS", "VmHWM")
    )
    return now, peak


def wrk(url: str, script: str, *, seconds: int, connections: int, env: dict[str, str]) -> dict:
    """Saturation run; the summary line of scripts/bench/common.lua, parsed."""
    done = subprocess.run(
        [
            "wrk",
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "10s",
            "--script",
            str(SCRIPTS / script),
            url,
        ],
        env=dict(os.environ, BENCH_SCRIPTS=str(SCRIPTS), **env),
        capture_output=True,
        text=True,
        check=True,
    )
    line = next((row for row in done.stdout.splitlines() if row.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    summary = dict(item.split("=") for item in line.split()[1:])
    summary = {key: float(value) for key, value in summary.items()}
    if summary["bad"] or summary["socket_errors"]:
        raise SystemExit(
            f"{script}: {summary['bad']:.0f} answers were not 2xx and "
            f"{summary['socket_errors']:.0f} socket errors; see var/bench/*.log"
        )
    summary["rps"] = summary["requests"] / summary["seconds"]
    return summary


def closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """Whether the server closed the kept ``connection`` while it was idle (its socket
    reads as ready: the end of the stream), as urllib3 checks before reusing one. A
    request sent on it would meet the close and get no answer."""
    if connection.sock is None:
        return False
    readable, _, _ = select.select([connection.sock], [], [], 0)
    return bool(readable)


def fixed_rate(
    url: str, make_request, *, rate: float, seconds: int, senders: int = 16
) -> list[float]:
    """Latencies (ms) of ``rate`` requests/s for ``seconds``, each from when it was due.

    ``make_request(n)`` returns (method, path, headers, body). Any answer that is
    not 2xx stops the bench (SystemExit); a request that gets no answer is counted
    and printed, and left out of the latencies.
    """
    host, port = url.removeprefix("http://").split(":")
    total = int(rate * seconds)
    latencies: list[float] = []
    failures: list[str] = []
    unanswered: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))
    start = time.monotonic() + 0.2

    def send() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        while True:
            with lock:
                n = next(counter, None)
            if n is None or failures:
                return
            due = start + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            method, path, headers, body = make_request(n)
            if closed_by_peer(connection):
                connection.close()  # the request connects afresh
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                # The server closed the connection as the request went out (a kept
                # connection's race with its idle timeout): the next one connects afresh.
                connection.close()
                with lock:
                    unanswered.append(f"{method} {path}: {exc!r}")
                continue
            elapsed = (time.monotonic() - due) * 1000
            with lock:
                if response.status >= 300:
                    failures.append(f"{method} {path}: {response.status} {payload[:300]!r}")
                latencies.append(elapsed)

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} failed, first: {failures[0]}")
    if unanswered:
        print(f"    {len(unanswered)} request(s) got no answer, first: {unanswered[0]}", flush=True)
    return latencies


def pgbench(database_url: str, script: Path, *, seconds: int, clients: int) -> float:
    """Transactions/s of pgbench running ``script`` (the database's ceiling)."""
    done = subprocess.run(
        [
            "pgbench",
            "--no-vacuum",
            "--client",
            str(clients),
            "--jobs",
            "1",
            "--time",
            str(seconds),
            "--protocol",
            "extended",  # binds the uuids as parameters (simple mode pastes them unquoted)
            "--file",
            str(script),
            database_url,
        ],
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([\d.]+)", done.stdout)
    if done.returncode or not match:
        raise SystemExit(f"pgbench {script.name} failed:\n{done.stdout}\n{done.stderr}")
    return float(match.group(1))


@dataclass(frozen=True)
class Scenario:
    name: str  # also the name of its .lua and .sql files
    title: str
    service: str
    targets: tuple[Target, ...] = ()

    def request(self, n: int, data: dict[str, list[str]], token: str) -> tuple:
        """The n-th request of the fixed-rate run, chosen as the .lua script chooses."""
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        rng = random.Random(n)  # noqa: S311 - load, not secrets
        products, clients = data["products.txt"], data["clients.txt"]
        if self.name == "orders_create":
            first = rng.randrange(len(products) - 2)
            items = [{"product_id": products[first + k], "quantity": 1} for k in range(3)]
            body = json.dumps({"client_id": rng.choice(clients), "items": items})
            return "POST", "/api/v1/orders/", headers, body
        if self.name == "products_list":
            return "GET", "/api/v1/products/?limit=50", headers, None
        if self.name == "order_detail":
            return "GET", f"/api/v1/orders/{rng.choice(data['orders.txt'])}/", headers, None
        if self.name == "clients_search":
            term = rng.choice(data["search_terms.txt"])
            return "GET", f"/api/v1/clients/?search={term}", headers, None
        if self.name == "stock_movement":
            body = json.dumps({"kind": rng.choice(["in", "out"]), "quantity": 1, "reason": "bench"})
            path = f"/api/v1/products/{rng.choice(products)}/stock-movements/"
            return "POST", path, headers, body
        raise ValueError(self.name)


def _rps(bound: float) -> Target:
    return Target(f"≥ {bound:.0f} req/s", "throughput", bound)


def _of_floor(bound: float) -> Target:
    return Target(f"≥ {bound:.0%} of the floor", "floor_ratio", bound)


def _of_typical(bound: float) -> Target:
    return Target(f"≥ {bound:.1f}{TIMES} the typical DRF project", "typical_ratio", bound)


def _p99(bound: float) -> Target:
    return Target(f"p99 ≤ {bound:.0f} ms", "p99", bound, at_least=False)


# "Well ahead of a typical DRF project" (issue #18) on the three hot paths it was measured
# on: half as fast again. The stock movement and the client search have no such target
# (docs/adr/0109-typical-drf-project-yardstick.md).
AHEAD_OF_TYPICAL = 1.5

SCENARIOS = [
    Scenario(
        "orders_create",
        "POST /api/v1/orders/ (3 items)",
        "orders_api",
        (_rps(200), _of_floor(0.65), _p99(100), _of_typical(AHEAD_OF_TYPICAL)),
    ),
    Scenario(
        "products_list",
        "GET /api/v1/products/?limit=50",
        "products_api",
        (_rps(420), _of_floor(0.55), _of_typical(AHEAD_OF_TYPICAL)),
    ),
    Scenario(
        "order_detail",
        "GET /api/v1/orders/{id}/",
        "orders_api",
        (_rps(650), _of_floor(0.55), _of_typical(AHEAD_OF_TYPICAL)),
    ),
    Scenario("clients_search", "GET /api/v1/clients/?search=…", "clients_api", (_of_floor(0.55),)),
    Scenario(
        "stock_movement",
        "POST /api/v1/products/{id}/stock-movements/",
        "products_api",
        (_rps(250), _of_floor(0.65)),
    ),
]


def run_scenario(system: System, scenario: Scenario, args: argparse.Namespace) -> Result:
    print(f"==> {scenario.title}", flush=True)
    if scenario.name == "order_detail":
        system.write_orders()
    token = system.token()
    wrk_env = {"BENCH_DATA": str(system.data), "BENCH_TOKEN": token}
    url = system.urls[scenario.service]
    floor_env = dict(wrk_env, BENCH_FLOOR_SCENARIO=scenario.name)

    def saturate(base_url: str, script: str, env: dict[str, str]) -> float:
        return wrk(base_url, script, seconds=args.seconds, connections=args.connections, env=env)[
            "rps"
        ]

    # The endpoint, its floor and the typical project take turns, so a slow spell of the
    # machine (the same code measured 30 % apart minutes later) weighs on all of them;
    # each keeps its median.
    saturated, floor, typical = [], [], []
    for _ in range(args.rounds):
        system.settle()
        saturated.append(saturate(url, f"{scenario.name}.lua", wrk_env))
        system.settle()
        floor.append(saturate(system.urls["floor"], "floor.lua", floor_env))
        if args.typical:
            system.settle()
            typical.append(saturate(system.urls["typical"], f"{scenario.name}.lua", wrk_env))
    print(
        f"    rounds, req/s: {' / '.join(f'{rps:.0f}' for rps in saturated)}; floor "
        f"{' / '.join(f'{rps:.0f}' for rps in floor)}"
        + (f"; typical DRF {' / '.join(f'{rps:.0f}' for rps in typical)}" if typical else ""),
        flush=True,
    )
    data = {path.name: path.read_text().split() for path in system.data.glob("*.txt")}
    system.settle()
    latencies = fixed_rate(
        url,
        lambda n: scenario.request(n, data, token),
        rate=args.rate,
        seconds=args.seconds,
    )
    system.settle()
    ceiling = pgbench(
        system.databases[scenario.service],
        SCRIPTS / "sql" / f"{scenario.name}.sql",
        seconds=args.seconds,
        clients=args.connections,
    )
    if args.profile:
        system.settle()
        pids = harness.children(system.processes[scenario.service].pid)
        out = system.logs / "profiles"
        spies = bench_profile.record(pids, seconds=args.seconds - 1, out=out, name=scenario.name)
        saturate(url, f"{scenario.name}.lua", wrk_env)
        for spy in spies:
            spy.wait()
        summary = bench_profile.summarize(sorted(out.glob(f"{scenario.name}-*.txt")))
        print("\n".join(f"    py-spy: {line}" for line in summary.lines()), flush=True)
    result = Result(
        scenario.title,
        throughput=statistics.median(saturated),
        p50=percentile(latencies, 0.50),
        p95=percentile(latencies, 0.95),
        p99=percentile(latencies, 0.99),
        floor=statistics.median(floor),
        ceiling=ceiling,
        typical=statistics.median(typical) if typical else 0.0,
        targets=scenario.targets,
    )
    print(
        f"    {result.throughput:.0f} req/s saturated: {result.throughput / result.floor:.0%} of "
        f"the floor ({result.floor:.0f}), {result.throughput / result.ceiling:.0%} of the "
        f"ceiling ({result.ceiling:.0f}); at {args.rate:.0f}/s p50 {result.p50:.1f} ms, "
        f"p95 {result.p95:.1f} ms, p99 {result.p99:.1f} ms"
        + (
            f"; {result.throughput / result.typical:.2f}x the typical DRF project "
            f"({result.typical:.0f})"
            if result.typical
            else ""
        ),
        flush=True,
    )
    return result


def event_lag(system: System, args: argparse.Namespace) -> Result:
    """Price changes in products_api until orders_api's copies have them."""
    count = min(int(args.event_rate * args.seconds), args.seed)
    print(f"==> event lag: {count} price changes at {args.event_rate:.0f}/s", flush=True)
    token = system.token()
    system.settle()
    products = (system.data / "products.txt").read_text().split()[:count]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    fixed_rate(
        system.urls["products_api"],
        lambda n: (
            "PATCH",
            f"/api/v1/products/{products[n]}/",
            headers,
            json.dumps({"price": f"{200 + n % 700}.{n % 100:02d}"}),
        ),
        rate=args.event_rate,
        seconds=max(1, round(count / args.event_rate)),
    )
    changed = {
        str(row[0]): (row[1], row[2])
        for row in _sql(
            system.databases["products_api"],
            "SELECT id, version, updated_at FROM products_product WHERE id = ANY(%s)",
            (products,),
        )
    }
    deadline = time.monotonic() + 60
    while True:
        copies = _sql(
            system.databases["orders_api"],
            "SELECT id, version, synced_at FROM orders_productsnapshot WHERE id = ANY(%s)",
            (products,),
        )
        arrived = {
            str(pid): synced for pid, version, synced in copies if version >= changed[str(pid)][0]
        }
        if len(arrived) == len(changed) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if len(arrived) < len(changed):
        raise SystemExit(f"only {len(arrived)} of {len(changed)} price changes arrived in 60 s")
    lags = [
        (arrived[pid] - updated).total_seconds() * 1000 for pid, (_, updated) in changed.items()
    ]
    result = Result(
        f"event lag at {args.event_rate:.0f} changes/s (price change → orders_api copy)",
        p50=percentile(lags, 0.50),
        p95=percentile(lags, 0.95),
        p99=percentile(lags, 0.99),
        targets=(_p99(100),),
    )
    print(f"    lag p50 {result.p50:.1f} ms, p95 {result.p95:.1f} ms, p99 {result.p99:.1f} ms")
    return result


def report(
    results: list[Result], memory: dict[str, list[tuple[float, float]]], args: argparse.Namespace
) -> str:
    command = " ".join(["python scripts/bench.py", *sys.argv[1:]])
    lines = [
        MARK_BEGIN,
        f"Measured {dt.date.today().isoformat()} at commit `{commit_label()}` on this 2-core "
        "machine, every process (PostgreSQL, Redis, gunicorn, relays, workers, wrk) on the "
        "same two cores, with:",
        "",
        "```sh",
        f"make bench   # {command}",
        "```",
        "",
        f"Saturation: wrk, {args.connections} keep-alive connections, {args.seconds} s, "
        + (
            "the endpoint, its floor and the typical DRF project"
            if args.typical
            else "the endpoint and its floor"
        )
        + f" taking turns {args.rounds} times (medians). "
        f"Latency: {args.rate:.0f} requests/s for {args.seconds} s, open loop. Floor: a bare "
        "Django view running the scenario's SQL under the same gunicorn; ceiling: pgbench "
        f"running that SQL with {args.connections} clients"
        + (
            "; typical DRF: the same endpoints written as DRF's documentation teaches "
            "(scripts/bench_typical/), same data, token and gunicorn."
            if args.typical
            else "."
        ),
        "",
        "| scenario | req/s at saturation | p50 / p95 / p99 ms at "
        f"{args.rate:.0f}/s | floor req/s (ratio) | ceiling tx/s (ratio) "
        f"| typical DRF req/s (ours {TIMES}) | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        if result.throughput:
            typical = (
                f"{result.typical:.0f} ({result.throughput / result.typical:.2f}{TIMES})"
                if result.typical
                else "—"
            )
            lines.append(
                f"| {result.scenario} | {result.throughput:.0f} | {result.p50:.1f} / "
                f"{result.p95:.1f} / {result.p99:.1f} | {result.floor:.0f} "
                f"({result.throughput / result.floor:.0%}) | {result.ceiling:.0f} "
                f"({result.throughput / result.ceiling:.0%}) | {typical} | {result.target} "
                f"| {result.met} |"
            )
        else:
            lines.append(
                f"| {result.scenario} | — | {result.p50:.1f} / {result.p95:.1f} / "
                f"{result.p99:.1f} | — | — | — | {result.target} | {result.met} |"
            )
    lines += [
        "",
        "| process | RSS after the run, per worker process (MB) | peak RSS (MB) | target | met |",
        "|---|---|---|---|---|",
    ]
    for name, sizes in memory.items():
        now = ", ".join(f"{size:.0f}" for size, _ in sizes)
        peak = ", ".join(f"{size:.0f}" for _, size in sizes)
        target, met = "", ""
        if name in SERVICES:
            target = f"≤ {MEMORY_TARGET_MB} MB"
            met = "yes" if all(size <= MEMORY_TARGET_MB for size, _ in sizes) else "no"
        lines.append(f"| {name} | {now} | {peak} | {target} | {met} |")
    lines.append(MARK_END)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1000, help="clients and products to create")
    parser.add_argument("--seconds", type=int, default=10, help="length of each run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="saturation runs of the endpoint and of its floor, taking turns (medians kept)",
    )
    parser.add_argument("--rate", type=float, default=100.0, help="fixed rate, requests/s")
    parser.add_argument("--event-rate", type=float, default=100.0, help="price changes/s")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=1)
    parser.add_argument("--celery-workers", type=int, default=1)
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="scenarios to run, by name (orders_create, products_list, order_detail, "
        "clients_search, stock_movement, event_lag); default: all",
    )
    parser.add_argument(
        "--typical",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the typical DRF project beside each endpoint (scripts/bench_typical/)",
    )
    parser.add_argument("--write", action="store_true", help="record in docs/performance.md")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after each scenario, sample its workers with py-spy under another wrk run "
        "and print where the time goes (scripts/bench_profile.py)",
    )
    args = parser.parse_args()
    if args.profile and not bench_profile.available():
        raise SystemExit("--profile needs py-spy: make install (requirements/dev.txt)")
    if args.only is not None and "order_detail" in args.only and "orders_create" not in args.only:
        print("==> order_detail reads the orders that orders_create makes: running both")
        args.only.append("orders_create")
    # SIGTERM (timeout, CI) unwinds like Ctrl-C, so the processes and databases go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does this)")
    system = System(args)
    try:
        system.start()
        system.seed()
        results = [
            run_scenario(system, scenario, args)
            for scenario in SCENARIOS
            if args.only is None or scenario.name in args.only
        ]
        if args.only is None or "event_lag" in args.only:
            results.append(event_lag(system, args))
        memory = system.memory()
    finally:
        system.stop()
    block = report(results, memory, args)
    print(block)
    if args.write:
        record(block, MARK_BEGIN, MARK_END)
    failed = [result.scenario for result in results if result.failed] + [
        f"{name} memory"
        for name, sizes in memory.items()
        if name in SERVICES and any(size > MEMORY_TARGET_MB * (1 + NOISE) for size, _ in sizes)
    ]
    if failed:
        print(f"==> targets missed by more than the noise ({NOISE:.0%}): " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
