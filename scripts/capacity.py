"""`make capacity`: what each unit of work costs each process, the capacity model built
from it, and the model checked against measurement (docs/capacity.md).

1. **Costs.** The cluster drill's deployment (cluster_tests/cluster.py: two gunicorn
   replicas of each API behind HAProxy, PgBouncer in transaction mode, three RabbitMQ
   nodes with quorum queues, two relays and two workers per service, the schedulers,
   PostgreSQL), seeded with ``--seed`` clients and products. Each unit (the five bench
   scenarios, an order of one line, a sign-in and an address edit) is driven by wrk
   through HAProxy for ``--seconds``; the run then waits until every outbox is sent,
   every order answered and no inbox grows, after a write until the sweeps have
   re-published its events too (``after_sweeps``), and for PostgreSQL's statistics to
   be flushed. Before and after: the CPU time (``/proc/<pid>/stat`` utime+stime, children
   included) of every process of the deployment and of the PostgreSQL backends
   connected to its databases, less what each burns idle (measured first), divided by
   the requests wrk counted: CPU ms per request in each process. Beside them: the
   statements per request (the API's own count, ``http_request_db_queries`` on
   ``/metrics``), the commits per request in each database
   (``pg_stat_database.xact_commit``), the events each request publishes (outbox rows)
   and delivers (inbox rows), one ``nextval`` of the order-number sequence, and the
   commits a second a database server takes (pgbench). Written to
   var/capacity/costs.json.
2. **The model** (scripts/capacity_model.py) from those costs and the mix
   (capacity/mix.toml): cores per process at the mix's peak, orders/day on 1 to 16 cores
   per service, what saturates first and what lifts it.
3. **The check.** The same deployment with 2 then 1 replica per API: the lag at 4
   orders/s (what an order travelling alone costs, and what it waits on that takes no
   core), orders at saturation for ``--cluster-seconds`` through HAProxy until every
   one is answered, then the lag at the rate predicted to keep the cores half busy
   (each lag in three windows, the median one judged),
   beside the model's predictions for the cores the system had on this machine (the
   lag's from the reservation's critical path, ``capacity_model.reservation_path``).

Writes docs/capacity.md's measured part (with ``--write``) and var/capacity/report.md.
``--model-only`` recomputes the model from the last costs (after editing the mix).
A benchmark, not a test: not part of `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
import bench  # noqa: E402
import capacity_model as model  # noqa: E402
import harness  # noqa: E402
from bench_events import commit_label, percentile  # noqa: E402

from cluster_tests.cluster import ADMIN_PASSWORD  # noqa: E402

REPO = HERE.parent
OUT = REPO / "var" / "capacity"
DOC = REPO / "docs" / "capacity.md"
MIX = REPO / "capacity" / "mix.toml"
MARK_BEGIN = "<!-- capacity:begin -->"
MARK_END = "<!-- capacity:end -->"
#: PostgreSQL 15 flushes an idle backend's statistics within 10 s.
STATS_FLUSH_SECONDS = 11
#: The lag is measured over this many seconds of orders at a fixed rate: first at
#: ``UNLOADED_RATE`` orders a second, where each order travels the event path alone
#: and the cores are mostly idle, then at the rate the model says keeps the cores
#: ``LAG_UTILIZATION`` busy. Long enough for six sweeps (at the drill's 10 s): where
#: their bursts of repeats fell in a 20 s window moved its mean by half, and 40 s
#: windows still measured a loaded lag below the unloaded one.
LAG_SECONDS = 60
#: Each lag is measured in this many windows at its rate, and the window with the
#: median mean lag is the one judged (and predicted from): the mean of one 60 s window
#: still moved by 10-20 % between runs at the same rate, a spread as wide as the
#: tolerance, so one window could not tell a miss from the measurement's own noise.
LAG_WINDOWS = 3
#: Low enough that an order travels alone (the relay lingers 10 ms after a pass, so
#: 1.04 orders share one), high enough that the CPU an order costs is not lost in the
#: deployment's idle burn (0.4 of a core before ADR 0151, 0.18 since: at 2 orders a
#: second it weighed twice the orders themselves, and their cost measured 84-110 ms
#: from run to run).
UNLOADED_RATE = 4.0
#: The cores' share the loaded lag window is predicted at and driven to.
LAG_UTILIZATION = 0.5
#: Steps of the speed probe's loop (``speed_probe_ms``): 20-30 ms of CPU here.
PROBE_STEPS = 1_000_000
#: Seconds past two sweep intervals before a lag window: a sweep's repeats of earlier
#: work are done by then (a scheduler runs a few seconds late at most).
SETTLE_MARGIN = 5
#: (unit, wrk script, service): the five bench scenarios and three more.
UNITS = (
    ("orders_create", "orders_create.lua", "orders_api"),
    ("orders_create_1", "orders_create_1.lua", "orders_api"),
    ("order_detail", "order_detail.lua", "orders_api"),
    ("products_list", "products_list.lua", "products_api"),
    ("clients_search", "clients_search.lua", "clients_api"),
    ("stock_movement", "stock_movement.lua", "products_api"),
    ("client_change", "client_change.lua", "clients_api"),
    ("login", "login.lua", "users_api"),
)
TITLES = {
    "orders_create": "POST /api/v1/orders/ (3 lines)",
    "orders_create_1": "POST /api/v1/orders/ (1 line)",
    "order_detail": "GET /api/v1/orders/{id}/",
    "products_list": "GET /api/v1/products/?limit=50",
    "clients_search": "GET /api/v1/clients/?search=…",
    "stock_movement": "POST /api/v1/products/{id}/stock-movements/",
    "client_change": "PATCH /api/v1/clients/{id}/addresses/{aid}/",
    "login": "POST /api/v1/auth/token",
}


# --- CPU of processes -------------------------------------------------------------------


def process_cpu_ms(pid: int) -> float:
    """CPU ms of ``pid`` and of its children it has waited for (utime, stime, cutime,
    cstime); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = sum(int(value) for value in fields[11:15])
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and every live descendant."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(harness.children(current))
    return found


def machine_busy_ms() -> float:
    """CPU ms every core of the machine spent busy since boot (/proc/stat)."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) * 1000 / os.sysconf("SC_CLK_TCK")


def query(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    """``statement``'s rows at ``url``. The server is shared: when every connection slot
    is taken (by anyone's tests), it waits for one, up to a minute."""
    import psycopg

    for _ in range(60):
        try:
            return bench._sql(url, statement, params)
        except psycopg.OperationalError as error:
            if "too many clients" not in str(error):
                raise
            time.sleep(1)
    return bench._sql(url, statement, params)


def backends(database_names: dict[str, str]) -> dict[str, list[int]]:
    """PostgreSQL backend pids connected to each of our databases, by process key."""
    rows = query(
        f"{pg_server()}/postgres",
        "SELECT datname, pid FROM pg_stat_activity WHERE datname = ANY(%s)",
        (list(database_names.values()),),
    )
    by_name = {name: key for key, name in database_names.items()}
    found: dict[str, list[int]] = {}
    for datname, pid in rows:
        found.setdefault(by_name[datname], []).append(pid)
    return found


def pg_server() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


class Sampler:
    """CPU ms of each process key, read per pid so that a pid seen only afterwards counts
    from zero: ``roots`` are process trees (gunicorn, Celery, RabbitMQ...), ``databases``
    the PostgreSQL databases whose backends count under their key."""

    def __init__(self, roots: dict[str, list[int]], databases: dict[str, str]) -> None:
        self.roots = roots
        self.databases = databases

    def sample(self) -> dict[tuple[str, int], float]:
        found = {
            (key, pid): process_cpu_ms(pid)
            for key, pids in self.roots.items()
            for root in pids
            for pid in process_tree(root)
        }
        for key, pids in backends(self.databases).items():
            found.update({(key, pid): process_cpu_ms(pid) for pid in pids})
        return found


def cpu_delta(before: dict, after: dict) -> dict[str, float]:
    """CPU ms per process key between two samples."""
    delta: dict[str, float] = {}
    for (key, pid), ms in after.items():
        delta[key] = delta.get(key, 0.0) + max(0.0, ms - before.get((key, pid), 0.0))
    return delta


# --- the deployment -----------------------------------------------------------------------


class Deployment:
    """The cluster drill's deployment (cluster_tests/cluster.py) seeded for the units:
    its processes by process key, its databases, and what tells that every event a
    window caused has been handled."""

    def __init__(self, cluster, args: argparse.Namespace) -> None:
        self.cluster = cluster
        self.args = args
        self.data = cluster.base / "data"
        self.data.mkdir(exist_ok=True)
        self.direct = {name: cluster.postgres.direct_url(name) for name in harness.SERVICES}
        roots = {
            f"{name}.api": [replica.pid for replica in api.replicas]
            for name, api in cluster.apis.items()
        }
        roots.update({f"{name}.relay": [p.pid for p in ps] for name, ps in cluster.relays.items()})
        roots.update(
            {f"{name}.worker": [p.pid for p in ps] for name, ps in cluster.workers.items()}
        )
        roots["schedulers"] = [p.pid for p in cluster.schedulers]
        for process in cluster.infrastructure:  # HAProxy, PgBouncer
            roots[process.name] = [process.pid]
        roots["broker"] = [p.pid for p in cluster.rabbitmq.processes.values()]
        databases = {f"{name}.db": db.name for name, db in cluster.postgres.databases.items()}
        self.sampler = Sampler(roots, databases)
        self.inbox: dict[str, int] = {}
        self.idle_commits: dict[str, float] = {}

    def sql(self, service: str, statement: str, params: tuple = ()) -> list[tuple]:
        return query(self.direct[service], statement, params)

    def seed(self) -> None:
        """``--seed`` clients (two addresses each) and products, copied into orders_api;
        the files of ids wrk's scripts read."""
        count = self.args.seed
        print(f"==> seeding {count} clients and {count} products", flush=True)
        for service in ("clients_api", "products_api"):
            self.cluster.manage(service, "seed_bench", str(count))
        copies = (
            "SELECT (SELECT count(*) FROM orders_clientsnapshot"
            "        WHERE jsonb_array_length(addresses) = 2)"
            " + (SELECT count(*) FROM orders_productsnapshot)"
        )
        harness.wait_until(
            lambda: self.sql("orders_api", copies)[0][0] >= 2 * count,
            300,
            "the copies in orders_api",
        )
        self.write("clients", "orders_api", "SELECT id FROM orders_clientsnapshot ORDER BY id")
        self.write("products", "orders_api", "SELECT id FROM orders_productsnapshot ORDER BY id")
        self.write(
            "addresses",
            "clients_api",
            "SELECT client_id || '/addresses/' || id FROM clients_address ORDER BY id",
        )
        terms = self.sql("clients_api", "SELECT name FROM clients_client ORDER BY name")
        (self.data / "search_terms.txt").write_text(
            "".join(f"{row[0].replace(' ', '%20')}\n" for row in terms)
        )

    def write(self, kind: str, service: str, query: str) -> None:
        rows = self.sql(service, query)
        (self.data / f"{kind}.txt").write_text("".join(f"{row[0]}\n" for row in rows))

    def token(self) -> str:
        import requests

        response = requests.post(
            f"{self.cluster.apis['users_api'].url}/api/v1/auth/token",
            json={"username": "admin", "password": ADMIN_PASSWORD},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["access"]

    def drained(self) -> bool:
        """Every outbox sent, every order answered, and no inbox grew since last asked
        (the queues are empty: RabbitMQ's own count takes an Erlang VM to ask)."""
        pending = "SELECT count(*) FROM common_outboxevent WHERE sent_at IS NULL"
        if any(self.sql(name, pending)[0][0] for name in harness.PUBLISHERS):
            return False
        unanswered = "SELECT count(*) FROM orders_order WHERE stock_status = 'pending'"
        if self.sql("orders_api", unanswered)[0][0]:
            return False
        inbox = {
            name: self.sql(name, "SELECT count(*) FROM common_inboxevent")[0][0]
            for name in harness.CONSUMERS
        }
        grew, self.inbox = inbox != self.inbox, inbox
        if grew:
            time.sleep(1)
        return not grew

    def after_sweeps(self) -> None:
        """Returns once every event is handled and the sweeps have re-published it as
        often as they will (each sent event is covered by the two sweeps after it,
        ``common.events.convergence``) and their repeats are handled too."""
        self.quiet()
        time.sleep(2 * self.sweep_interval() + SETTLE_MARGIN)
        self.quiet()

    def sweep_interval(self) -> float:
        """Seconds between the sweeps (a third of the deployment's convergence bound)."""
        return float(self.cluster.env["EVENTS_CONVERGENCE_SECONDS"]) / 3

    def vacuum(self) -> None:
        """Vacuums and analyzes every service's database, so that autovacuum, working off
        an earlier run's dead rows (a saturation run leaves thousands), does not burn in
        the idle measurement or in the window after it: the model leaves it out."""
        print("==> VACUUM (ANALYZE) of every service's database", flush=True)
        for name in harness.SERVICES:
            self.sql(name, "VACUUM (ANALYZE)")

    def outbox_rows(self) -> int:
        return sum(
            self.sql(name, "SELECT count(*) FROM common_outboxevent")[0][0]
            for name in harness.PUBLISHERS
        )

    def quiet(self, *, statistics: bool = False) -> None:
        """Returns once every event is handled (and, with ``statistics``, PostgreSQL's
        statistics flushed)."""
        harness.wait_until(self.drained, 600, "the outboxes, queues and answers to drain")
        if statistics:
            time.sleep(STATS_FLUSH_SECONDS)

    def counters(self) -> dict[str, float]:
        """Transactions per database, outbox and inbox rows, statements per route."""
        found: dict[str, float] = {}
        for name in harness.SERVICES:
            found[f"xact:{name}"] = self.sql(
                name,
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
            )[0][0]
            if name in harness.PUBLISHERS:
                found[f"events:{name}"] = self.sql(name, "SELECT count(*) FROM common_outboxevent")[
                    0
                ][0]
            if name in harness.CONSUMERS:
                found[f"deliveries:{name}"] = self.sql(
                    name, "SELECT count(*) FROM common_inboxevent"
                )[0][0]
            api = self.cluster.apis[name]
            for index, replica in enumerate(api.replicas):
                if replica.alive():
                    for key, value in statement_counters(name, api.replica_url(index)).items():
                        found[key] = found.get(key, 0.0) + value
        return found

    def idle(self) -> dict[str, float]:
        """CPU ms per second each process key burns with nothing to do; the commits a
        second each database takes meanwhile (HAProxy's health checks read them) are
        kept in ``idle_commits``."""
        print(f"==> idle CPU for {self.args.idle_seconds} s", flush=True)
        self.quiet(statistics=True)
        counters, start, before = self.counters(), time.monotonic(), self.sampler.sample()
        time.sleep(self.args.idle_seconds)
        seconds = time.monotonic() - start
        idle = {key: ms / seconds for key, ms in cpu_delta(before, self.sampler.sample()).items()}
        time.sleep(STATS_FLUSH_SECONDS)
        after = self.counters()
        self.idle_commits = {
            key: (after[key] - counters[key]) / (seconds + STATS_FLUSH_SECONDS)
            for key in after
            if key.startswith("xact:")
        }
        return idle

    def wrk_env(self) -> dict[str, str]:
        """What wrk's scripts read, with a fresh token, once HAProxy has every replica UP
        (when the shared PostgreSQL runs out of connections, PgBouncer holds the health
        checks and HAProxy takes every API out until it recovers)."""
        harness.wait_until(self.all_up, 300, "HAProxy: every replica UP")
        return {
            "BENCH_DATA": str(self.data),
            "BENCH_TOKEN": self.token(),
            "BENCH_USERNAME": "admin",
            "BENCH_PASSWORD": ADMIN_PASSWORD,
        }

    def measure(self) -> dict:
        idle = self.idle()
        units: dict[str, dict] = {}
        for unit, script, service in UNITS:
            if self.args.only and unit not in self.args.only:
                continue
            if unit == "order_detail":
                self.write("orders", "orders_api", "SELECT id FROM orders_order LIMIT 1000")
            units[unit] = self.unit(unit, script, service, idle)
        costs = {
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": commit_label(),
            "cores": os.cpu_count(),
            "load_average": os.getloadavg(),
            "seconds_per_unit": self.args.seconds,
            "connections": self.args.connections,
            "idle_cpu_ms_per_s": idle,
            "units": units,
            "sequence_ms": self.sequence_ms(),
            "commit_ceiling": self.commit_ceiling(),
        }
        costs.update(per_event_costs(units))
        return costs

    def unit(self, unit: str, script: str, service: str, idle: dict) -> dict:
        print(f"==> {unit}: {TITLES[unit]}", flush=True)
        env = self.wrk_env()
        self.quiet(statistics=True)
        published = self.outbox_rows()
        counters_before, cpu_before = self.counters(), self.sampler.sample()
        start = time.monotonic()
        summary = self.wrk(self.cluster.apis[service].url, script, self.args.seconds, env)
        # What the requests cost until every event they set off was handled, the sweeps'
        # repeats apart: those come up to two sweep intervals after each event, and a run
        # takes in only the share that falls inside it (``predict_throughput``).
        self.quiet()
        en_route = cpu_delta(cpu_before, self.sampler.sample()), time.monotonic() - start
        # What a write costs includes the sweeps' repeats of its events (about two per
        # event, at any bound): they are part of the unit, not of the next one.
        if self.outbox_rows() > published:
            self.after_sweeps()
        self.quiet(statistics=True)
        elapsed = time.monotonic() - start
        cpu = cpu_delta(cpu_before, self.sampler.sample())
        counters = self.counters()
        requests = summary["requests"]
        change = {
            key: max(
                0.0, value - counters_before.get(key, 0) - self.idle_commits.get(key, 0) * elapsed
            )
            for key, value in counters.items()
        }
        result = unit_costs(
            cpu=cpu,
            idle={key: rate * elapsed for key, rate in idle.items()},
            change=change,
            requests=requests,
            service=service,
        )
        result.update(
            title=TITLES[unit],
            service=service,
            requests=requests,
            rps=summary["rps"],
            cpu_ms_en_route=cpu_per_request(
                en_route[0], {key: rate * en_route[1] for key, rate in idle.items()}, requests
            ),
        )
        top = sorted(result["cpu_ms"].items(), key=lambda item: -item[1])[:6]
        print(
            f"    {requests:.0f} requests, {summary['rps']:.0f} req/s; CPU ms per request: "
            + ", ".join(f"{key} {ms:.2f}" for key, ms in top)
            + f"; {result['statements']:.1f} statements",
            flush=True,
        )
        return result

    def wrk(self, url: str, script: str, seconds: int, env: dict[str, str]) -> dict:
        """bench.wrk's summary, run once more when answers were not 2xx: on a machine
        loaded by others, HAProxy's health check (2 s) can time out on a saturated
        replica and take every replica of an API out for a moment, and wrk then counts
        thousands of quick 503s. A second failure stops the run."""
        try:
            return bench.wrk(
                url, script, seconds=seconds, connections=self.args.connections, env=env
            )
        except SystemExit as failure:
            print(f"    {failure}; once more when HAProxy has every replica UP", flush=True)
        harness.wait_until(self.all_up, 60, "HAProxy: every replica UP")
        self.quiet()
        return bench.wrk(url, script, seconds=seconds, connections=self.args.connections, env=env)

    def all_up(self) -> bool:
        alive = sum(r.alive() for api in self.cluster.apis.values() for r in api.replicas)
        return list(self.cluster.haproxy_servers().values()).count("UP") == alive

    def commit_ceiling(self) -> float:
        """Commits/s of one small write each (a row updated), ``--connections`` pgbench
        clients on orders_api's database: what the WAL flushes allow this server."""
        self.sql("orders_api", "CREATE TABLE capacity_commits (id int PRIMARY KEY, n int)")
        self.sql(
            "orders_api", "INSERT INTO capacity_commits SELECT g, 0 FROM generate_series(1, 1000) g"
        )
        script = OUT / "commit.sql"
        script.write_text(
            "\\set id random(1, 1000)\nUPDATE capacity_commits SET n = n + 1 WHERE id = :id;\n"
        )
        try:
            ceiling = bench.pgbench(
                self.direct["orders_api"], script, seconds=5, clients=self.args.connections
            )
        finally:
            self.sql("orders_api", "DROP TABLE capacity_commits")
        print(f"==> commit ceiling: {ceiling:.0f} commits/s", flush=True)
        return ceiling

    def sequence_ms(self) -> float:
        """CPU ms of one nextval of the order-number sequence, in PostgreSQL."""
        count = 200_000
        started = time.perf_counter()
        self.sql(
            "orders_api",
            "SELECT count(nextval('orders_order_number_seq')) FROM generate_series(1, %s)",
            (count,),
        )
        return (time.perf_counter() - started) * 1000 / count


@contextlib.contextmanager
def deployment(args: argparse.Namespace) -> Iterator[Deployment]:
    """The cluster drill's deployment, seeded; stopped and its databases dropped after."""
    from cluster_tests import cluster as drill

    missing = drill.missing_tools()
    if missing:
        raise SystemExit(f"make capacity needs {', '.join(missing)} (as make test-cluster does)")
    # The drill's processes take the environment's settings: wrk signs in from one address.
    os.environ["LOGIN_RATE_PER_IP"] = "1000000/min"
    # Kept after the run, logs included (var/capacity/cluster/logs/).
    base = OUT / "cluster"
    shutil.rmtree(base, ignore_errors=True)
    print(
        "==> the cluster drill's deployment: HAProxy, PgBouncer, three RabbitMQ nodes, "
        "two replicas of each API, two relays and two workers per service",
        flush=True,
    )
    cluster = drill.start(base, pg_server())
    try:
        system = Deployment(cluster, args)
        system.seed()
        yield system
    finally:
        cluster.stop()
        cluster.postgres.drop()


def statement_counters(service: str, url: str) -> dict[str, float]:
    """``statements:<service>:<route>`` and ``answered:...``: the API's own count of the
    database statements it ran, from its /metrics (every worker's, summed)."""
    import requests

    text = requests.get(f"{url}/metrics", timeout=10).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        for suffix, kind in (("_sum", "statements"), ("_count", "answered")):
            if line.startswith(f"http_request_db_queries{suffix}{{"):
                labels, value = line.rsplit(" ", 1)
                route = labels.split('route="', 1)[1].split('"', 1)[0]
                found[f"{kind}:{service}:{route}"] = float(value)
    return found


def unit_costs(
    *,
    cpu: dict[str, float],
    idle: dict[str, float],
    change: dict[str, float],
    requests: float,
    service: str,
) -> dict:
    """One unit's costs per request from what a window measured: ``cpu`` and ``idle`` CPU
    ms per process key, ``change`` of each counter."""
    statements = sum(
        value for key, value in change.items() if key.startswith(f"statements:{service}:")
    )
    answered = sum(value for key, value in change.items() if key.startswith(f"answered:{service}:"))

    def per_request(prefix: str) -> dict[str, float]:
        return {
            key.split(":", 1)[1]: value / requests
            for key, value in sorted(change.items())
            if key.startswith(prefix) and value
        }

    return {
        "cpu_ms": cpu_per_request(cpu, idle, requests),
        "statements": statements / answered if answered else 0.0,
        "transactions": per_request("xact:"),
        "events": per_request("events:"),
        "deliveries": per_request("deliveries:"),
    }


def cpu_per_request(cpu: dict[str, float], idle: dict[str, float], requests: float) -> dict:
    """CPU ms per request of each process key that spent any: what it spent in the
    window (``cpu``, ms) less its idle burn over the window (``idle``, ms)."""
    spent = {key: max(0.0, ms - idle.get(key, 0.0)) / requests for key, ms in sorted(cpu.items())}
    return {key: round(ms, 4) for key, ms in spent.items() if ms > 0}


def per_event_costs(units: dict[str, dict]) -> dict:
    """CPU ms per event of each relay, consumer and the broker, and per transaction of
    each database, over every unit measured."""

    def total(field: str, key: str) -> float:
        return sum(unit["requests"] * unit[field].get(key, 0.0) for unit in units.values())

    per_event: dict[str, float] = {}
    per_transaction: dict[str, float] = {}
    events = sum(total("events", name) for name in harness.PUBLISHERS)
    for name in harness.PUBLISHERS:
        if total("events", name):
            per_event[f"{name}.relay"] = total("cpu_ms", f"{name}.relay") / total("events", name)
    for name in harness.CONSUMERS:
        if total("deliveries", name):
            per_event[f"{name}.worker"] = total("cpu_ms", f"{name}.worker") / total(
                "deliveries", name
            )
    if events:
        per_event["broker"] = total("cpu_ms", "broker") / events
    for name in harness.SERVICES:
        if total("transactions", name):
            per_transaction[f"{name}.db"] = total("cpu_ms", f"{name}.db") / total(
                "transactions", name
            )
    return {"per_event_ms": per_event, "per_transaction_ms": per_transaction}


# --- the check ------------------------------------------------------------------------------


def check(system: Deployment, costs: dict) -> list[dict]:
    """Orders at saturation with 2 then 1 replica per API, against the model."""
    checks = [check_run(system, 2, costs)]
    for api in system.cluster.apis.values():
        api.replicas[1].stop()
    harness.wait_until(system.all_up, 60, "HAProxy: one replica of each API UP")
    checks.append(check_run(system, 1, costs))
    return checks


def check_run(system: Deployment, replicas: int, costs: dict) -> dict:
    """One replica count: the lag at a low rate (an order's cost travelling alone, the
    unloaded waits), orders at saturation until every one is answered, then the lag at
    the rate predicted to keep the cores half busy; the throughput and that lag each
    beside the model's prediction."""
    args = system.args
    url = system.cluster.apis["orders_api"].url
    env = system.wrk_env()
    print(
        f"==> {replicas} replica(s) per API: orders at {UNLOADED_RATE:g}/s for {LAG_SECONDS} s",
        flush=True,
    )
    unloaded = median_window(system, env, rate=UNLOADED_RATE)
    # The idle burn of this replica count, measured just before (the saturation run's
    # own would take the sweeps' repeats of the window's orders).
    idle = unloaded["idle_cpu_ms_per_s"]
    print(
        f"==> {replicas} replica(s) per API: orders at saturation for {args.cluster_seconds} s",
        flush=True,
    )
    system.quiet()
    since = system.sql("orders_api", "SELECT now()")[0][0]
    busy_before, start, before = machine_busy_ms(), time.monotonic(), system.sampler.sample()
    summary = system.wrk(url, "orders_create.lua", args.cluster_seconds, env)
    system.quiet()
    elapsed = time.monotonic() - start
    spent = cpu_delta(before, system.sampler.sample())
    busy = machine_busy_ms() - busy_before
    # The API takes orders faster than the events behind them are handled, for a while:
    # what the system sustains is the orders over the time until the last one's answer.
    placed, last = system.sql(
        "orders_api",
        "SELECT count(*), max(updated_at) FROM orders_order WHERE created_at >= %s",
        (since,),
    )[0]
    measured = placed / (last - since).total_seconds()
    others, idle_cores, available = cores_left(busy, spent, elapsed, idle)
    run = {
        "replicas": replicas,
        "orders": placed,
        "sweep_interval_s": system.sweep_interval(),
        "available_cores": available,
        "measured_rps": measured,
    }
    throughput = predict_throughput(run, costs)
    # The lag at the rate the model says keeps the cores half busy: an order there
    # travels alone, as in the unloaded window, and costs what it cost there.
    rate = model.rate_at_utilization(
        LAG_UTILIZATION,
        cpu_ms_per_order=lone_order_cpu_ms(unloaded, costs),
        cores=unloaded["available_cores"],
    )
    loaded = median_window(system, env, rate=min(max(UNLOADED_RATE, rate), 0.9 * measured))
    lag = predict_lag(unloaded, loaded, costs)
    print(
        "    CPU ms per item on the path: "
        + ", ".join(f"{key} {ms:.2f}" for key, ms in sorted(unloaded["item_ms"].items())),
        flush=True,
    )
    result = {
        **run,
        "seconds": args.cluster_seconds,
        "api_rps": summary["rps"],
        "others_cores": others,
        "idle_cores": idle_cores,
        **throughput,
        "measured_cpu_ms_per_order": (sum(spent.values()) - idle_cores * 1000 * elapsed) / placed,
        "unloaded": unloaded,
        "loaded": loaded,
        **lag,
        "cpu_ms_per_order": {key: ms / placed for key, ms in sorted(spent.items())},
    }
    print(
        f"    the API took {summary['rps']:.0f} orders/s; the whole system sustained "
        f"{measured:.1f}, {throughput['predicted_rps']:.1f} predicted "
        f"({throughput['binding']}; {available:.2f} cores "
        f"available, others took {others:.2f}; CPU ms per order measured "
        f"{result['measured_cpu_ms_per_order']:.1f}, predicted "
        f"{result['predicted_cpu_ms_per_order']:.1f}, "
        f"{throughput['sweep_repeats_within']:.2f} of an event's two "
        f"sweep repeats in the run predicted); lag at {loaded['rate']:.1f}/s: "
        f"{loaded['lag_ms']:.0f} ms measured (mean), {lag['predicted_lag_ms']:.0f} ms "
        f"predicted ({sum(lag['path_cpu_ms'].values()):.1f} ms of CPU on the path, "
        f"{lag['waits_ms']:.0f} ms of waits from {unloaded['lag_ms']:.0f} ms at "
        f"{UNLOADED_RATE:g}/s; CPU ms per order {unloaded['cpu_ms_per_order']:.1f} there, "
        f"{loaded['cpu_ms_per_order']:.1f} at {loaded['rate']:.1f}/s; cores "
        f"{lag['predicted_lag_utilization']:.0%} busy predicted, "
        f"{loaded['utilization']:.0%} measured)",
        flush=True,
    )
    return result


def predict_throughput(run: dict, costs: dict) -> dict:
    """The orders/s a saturation ``run`` (its ``replicas`` per API, ``orders`` placed,
    ``sweep_interval_s``, ``available_cores`` and ``measured_rps``) is predicted to
    sustain from the orders unit (``model.sustained_saturation``): an order as the run
    pays for it until its last answer, with the sweeps' repeats of its events that fall
    inside the run (costs measured before the unit kept them apart: the whole unit).
    Each API replica is one gunicorn process: one core at most."""
    unit = costs["units"]["orders_create"]
    predicted, binding, repeats, cpu_ms = model.sustained_saturation(
        unit.get("cpu_ms_en_route") or unit["cpu_ms"],
        unit["cpu_ms"],
        orders=run["orders"],
        interval_s=run["sweep_interval_s"],
        cores=run["available_cores"],
        limits={"orders_api.api": run["replicas"] * 1.0},
    )
    return {
        "predicted_rps": predicted,
        "binding": binding,
        "predicted_cpu_ms_per_order": sum(cpu_ms.values()),
        "sweep_repeats_within": repeats,
        "rps_within": model.within(predicted, run["measured_rps"]),
    }


def predict_lag(unloaded: dict, loaded: dict, costs: dict) -> dict:
    """The lag predicted for the ``loaded`` window from what the ``unloaded`` window
    measured: the path's hops at what one of their items cost there (the broker's per
    event from the units: its three Erlang VMs' idle burn drowns what a few orders a
    second cost it), the waits that take no core from the lag there, and each
    window's utilization its rate times what an order cost there (every process,
    an order travelling alone) over the cores the system had there; a hop's work
    waits for one of the machine's cores (``model.stretch``)."""
    item_ms = dict(unloaded["item_ms"], broker=costs["per_event_ms"]["broker"])
    hop_ms = model.path_cpu_ms(model.reservation_path(), item_ms)

    lone_ms = lone_order_cpu_ms(unloaded, costs)

    def share(window: dict) -> float:
        return model.utilization(
            window["rate"], cpu_ms_per_order=lone_ms, cores=unloaded["available_cores"]
        )

    def hops(window: dict) -> list[tuple[float, float]]:
        return [(ms, share(window)) for ms in hop_ms.values()]

    # Every hop's work runs on any of the machine's cores (older records lack them).
    cores = unloaded.get("machine_cores") or os.cpu_count() or 1
    waits = model.unloaded_waits_ms(unloaded["lag_ms"], hops(unloaded), cores)
    predicted = model.path_lag_ms(waits, hops(loaded), cores)
    return {
        "path_cpu_ms": hop_ms,
        "lone_order_cpu_ms": lone_ms,
        "waits_ms": waits,
        "predicted_lag_utilization": share(loaded),
        "lag_rate": loaded["rate"],
        "measured_lag_ms": loaded["lag_ms"],
        "measured_lag_p99_ms": loaded["lag_p99_ms"],
        "predicted_lag_ms": predicted,
        "lag_within": model.within(predicted, loaded["lag_ms"]),
    }


def items_per_order(window: dict) -> dict[str, float]:
    """The work items a window's orders set off in each process, per order placed: a
    relay's passes, a worker's tasks, a database's commits, PgBouncer's (every
    database's commits)."""
    orders = window["orders"]
    if not orders:
        return {}
    counts = {f"{name}.relay": count for name, count in window["passes"].items()}
    counts.update({f"{name}.worker": count for name, count in window["tasks"].items()})
    counts.update({f"{name}.db": count for name, count in window["commits"].items()})
    counts["pgbouncer"] = sum(window["commits"].values())
    return {key: count / orders for key, count in counts.items()}


def lone_order_cpu_ms(window: dict, costs: dict) -> float:
    """What an order cost in every process in a window where orders travel alone
    (``model.lone_order_cpu_ms``): its work items there, the rest at the order unit."""
    return model.lone_order_cpu_ms(
        costs["units"]["orders_create"]["cpu_ms"], window["item_ms"], items_per_order(window)
    )


def cores_left(
    busy: float, spent: dict[str, float], elapsed: float, idle: dict[str, float]
) -> tuple[float, float, float]:
    """Over a window of ``elapsed`` s in which the machine was ``busy`` CPU ms and the
    deployment's processes ``spent`` their CPU ms: the cores everything else took
    (wrk, other people's work), the deployment's idle burn, and the cores the system
    could use: the machine's less both."""
    others = max(0.0, busy - sum(spent.values())) / (elapsed * 1000)
    idle_cores = sum(idle.values()) / 1000
    return others, idle_cores, max(0.1, (os.cpu_count() or 2) - others - idle_cores)


def speed_probe_ms() -> float:
    """CPU ms this process takes for a fixed pure-Python loop, the least of three runs:
    the machine's speed at that moment. A slower spell of the machine makes every
    process's work dearer alike (seen once as every item of a loaded lag window costing
    a quarter more), and shows here as a longer probe whatever the deployment does."""
    spent = []
    for _ in range(3):
        start = time.process_time()
        for _step in range(PROBE_STEPS):
            pass
        spent.append((time.process_time() - start) * 1000)
    return min(spent)


def median_window(system: Deployment, env: dict[str, str], *, rate: float) -> dict:
    """``LAG_WINDOWS`` lag windows at ``rate``: the one whose mean lag is the median,
    with every window's figures beside it (``median_of``), each printed as it ends."""
    windows = []
    for n in range(1, LAG_WINDOWS + 1):
        windows.append(lag_window(system, env, rate=rate))
        print(
            f"    window {n} of {LAG_WINDOWS} at {rate:.1f}/s: lag mean "
            f"{windows[-1]['lag_ms']:.0f} ms, speed probe {windows[-1]['probe_ms']:.1f} ms, "
            f"APIs' idle burn {windows[-1]['api_idle_ms_per_s']:.1f} ms/s, "
            f"CPU ms per order {windows[-1]['cpu_ms_per_order']:.1f}, cores "
            f"{windows[-1]['utilization']:.0%} busy",
            flush=True,
        )
    return median_of(windows)


def median_of(windows: list[dict]) -> dict:
    """The window whose ``lag_ms`` is the median (the lower middle one of an even
    number), with every window's ``lag_ms``, ``probe_ms``, ``api_idle_ms_per_s``,
    ``cpu_ms_per_order`` and ``utilization`` in a list of each named with ``_windows``
    after it, in order (what set a window apart from the others is then in the
    record)."""
    ordered = sorted(windows, key=lambda window: window["lag_ms"])
    middle = ordered[(len(ordered) - 1) // 2]
    return dict(
        middle,
        **{
            f"{key}_windows": [window[key] for window in windows]
            for key in (
                "lag_ms",
                "probe_ms",
                "api_idle_ms_per_s",
                "cpu_ms_per_order",
                "utilization",
            )
        },
    )


def lag_window(system: Deployment, env: dict[str, str], *, rate: float) -> dict:
    """Three-line orders at ``rate`` a second for ``LAG_SECONDS``, once the sweeps have
    passed over every earlier event (a sweep re-publishes what the last two intervals
    sent: the repeats of a saturation run would land in the window), every service's
    database is vacuumed (``Deployment.vacuum``) and the idle burn is measured afresh
    (a fifth of a core, and it changes with the replicas the health checks reach): the
    lag of each order reserved, the cores the system had, the CPU an order cost and
    what one work item of the path cost (``item_costs``), and the machine's speed
    (``speed_probe_ms``, the mean of one probe before the orders and one after)."""
    system.after_sweeps()
    system.vacuum()
    idle = system.idle()  # ends with PostgreSQL's statistics flushed
    probe_before = speed_probe_ms()
    url = system.cluster.apis["orders_api"].url
    scenario = next(s for s in bench.SCENARIOS if s.name == "orders_create")
    lists = {path.name: path.read_text().split() for path in system.data.glob("*.txt")}
    counters, counted = system.counters(), time.monotonic()
    since = system.sql("orders_api", "SELECT now()")[0][0]
    busy_before, start, before = machine_busy_ms(), time.monotonic(), system.sampler.sample()
    bench.fixed_rate(
        url,
        lambda n: scenario.request(n, lists, env["BENCH_TOKEN"]),
        rate=rate,
        seconds=LAG_SECONDS,
    )
    system.quiet()
    elapsed = time.monotonic() - start
    spent = cpu_delta(before, system.sampler.sample())
    busy = machine_busy_ms() - busy_before
    probe_after = speed_probe_ms()
    time.sleep(STATS_FLUSH_SECONDS)
    # The health checks' commits go on meanwhile, from the first count to the last.
    after, span = system.counters(), time.monotonic() - counted
    commits = {
        key.split(":", 1)[1]: value - counters[key] - system.idle_commits.get(key, 0.0) * span
        for key, value in after.items()
        if key.startswith("xact:")
    }
    # (created at, epoch s; lag ms) of each order reserved: where the slow ones fall
    # against the sweeps (their times are in the schedulers' logs).
    timeline = [
        (float(row[0]), float(row[1]))
        for row in system.sql(
            "orders_api",
            "SELECT EXTRACT(EPOCH FROM created_at), "
            "EXTRACT(EPOCH FROM updated_at - created_at) * 1000 FROM orders_order "
            "WHERE created_at >= %s AND stock_status = 'reserved' ORDER BY created_at",
            (since,),
        )
    ]
    lags = [lag for _, lag in timeline]
    placed = system.sql(
        "orders_api", "SELECT count(*) FROM orders_order WHERE created_at >= %s", (since,)
    )[0][0]
    passes = {
        name: system.sql(
            name,
            "SELECT count(DISTINCT claim) FROM common_outboxevent WHERE sent_at >= %s",
            (since,),
        )[0][0]
        for name in harness.PUBLISHERS
    }
    tasks = {
        name: system.sql(
            name,
            "SELECT count(DISTINCT received_at) FROM common_inboxevent WHERE received_at >= %s",
            (since,),
        )[0][0]
        for name in harness.CONSUMERS
    }
    _, idle_cores, available = cores_left(busy, spent, elapsed, idle)
    window_idle = {key: ms * elapsed for key, ms in idle.items()}
    used = sum(spent.values()) - idle_cores * 1000 * elapsed
    return {
        "rate": rate,
        "probe_ms": (probe_before + probe_after) / 2,
        "idle_cpu_ms_per_s": idle,
        # HAProxy's health checks are the same work before every window: the APIs'
        # idle burn is a second gauge of the machine's speed, on the deployment's code.
        "api_idle_ms_per_s": sum(ms for key, ms in idle.items() if key.endswith(".api")),
        "orders": placed,
        "reserved": len(lags),
        "lag_ms": statistics.fmean(lags) if lags else float("nan"),
        "lag_p50_ms": percentile(lags, 0.50) if lags else float("nan"),
        "lag_p99_ms": percentile(lags, 0.99) if lags else float("nan"),
        "timeline": timeline,
        "available_cores": available,
        "machine_cores": os.cpu_count() or 1,
        "cpu_ms_per_order": used / placed if placed else float("nan"),
        "utilization": used / (available * 1000 * elapsed),
        "passes": passes,
        "tasks": tasks,
        "commits": commits,
        "item_ms": item_costs(
            cpu=spent, idle=window_idle, passes=passes, tasks=tasks, commits=commits
        ),
    }


def item_costs(
    *,
    cpu: dict[str, float],
    idle: dict[str, float],
    passes: dict[str, float],
    tasks: dict[str, float],
    commits: dict[str, float],
) -> dict[str, float]:
    """CPU ms of one work item of each process from a window (``cpu`` and ``idle`` CPU
    ms per process key): a relay's over its ``passes``, a worker's over its ``tasks``,
    a database's over its ``commits``, PgBouncer's over every database's commits. A
    process with no item counted in the window is left out."""

    def per(key: str, count: float) -> dict[str, float]:
        if count <= 0:
            return {}
        return {key: max(0.0, cpu.get(key, 0.0) - idle.get(key, 0.0)) / count}

    found: dict[str, float] = {}
    for name, count in passes.items():
        found.update(per(f"{name}.relay", count))
    for name, count in tasks.items():
        found.update(per(f"{name}.worker", count))
    for name, count in commits.items():
        found.update(per(f"{name}.db", count))
    found.update(per("pgbouncer", sum(commits.values())))
    return found


# --- the report --------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _per_day(value: float) -> str:
    return f"{value:,.0f}"


#: The deployment's processes that belong to no service.
OTHERS = ("broker", "pgbouncer", "haproxy", "schedulers")


def _roles(cpu_ms: dict[str, float]) -> dict[str, float]:
    """CPU ms by role (api, relay, worker, db) every service summed, and of the others."""
    found = dict.fromkeys((*model.ROLES, *OTHERS), 0.0)
    for key, ms in cpu_ms.items():
        found[key.rsplit(".", 1)[-1]] += ms
    return found


def report(costs: dict, mix: model.Mix, checks: list[dict], command: str) -> str:
    load = ", ".join(f"{value:.2f}" for value in costs["load_average"])
    lines = [
        MARK_BEGIN,
        f"Measured {costs['measured_at'][:10]} at commit `{costs['commit']}` on this "
        f"{costs['cores']}-core machine (load average {load} when the costs were taken, "
        "the deployment's own included), with:",
        "",
        "```sh",
        f"make capacity   # {command}",
        "```",
        "",
        "### Costs: CPU ms per request, in each kind of process",
        "",
        f"Each unit driven by wrk through HAProxy for {costs['seconds_per_unit']} s with "
        f"{costs['connections']} connections, then until every event it caused and, "
        "after a write, its sweeps' repeats were handled. "
        "API: the service's gunicorn replicas; relays, workers, databases: every service's "
        "(an order's events reach products_api's worker and come back to orders_api's); "
        "other: RabbitMQ, PgBouncer, HAProxy and the schedulers; statements: the API's own "
        "count per request; transactions: commits in every database per request; events: "
        "outbox rows per request.",
        "",
        "| unit | req/s | API | relays | workers | databases | RabbitMQ | PgBouncer "
        "| HAProxy | schedulers | total CPU ms | statements | transactions | events |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for unit in costs["units"].values():
        roles = _roles(unit["cpu_ms"])
        transactions = sum(unit["transactions"].values())
        events = sum(unit["events"].values())
        lines.append(
            f"| {unit['title']} | {unit['rps']:.0f} | "
            + " | ".join(_ms(roles[role]) for role in (*model.ROLES, *OTHERS))
            + f" | {_ms(sum(unit['cpu_ms'].values()))} | {unit['statements']:.1f} "
            f"| {transactions:.1f} | {events:.1f} |"
        )
    lines += [
        "",
        "| per event / per transaction | CPU ms |",
        "|---|---|",
        *(f"| {key} per event | {ms:.3f} |" for key, ms in costs["per_event_ms"].items()),
        *(
            f"| {key} per transaction | {ms:.3f} |"
            for key, ms in costs["per_transaction_ms"].items()
        ),
        f"| one `nextval` of the order-number sequence | {costs['sequence_ms']:.4f} |",
        "",
        f"One database server commits {costs.get('commit_ceiling', 0):,.0f} small "
        f"transactions a second on this machine (pgbench, {costs['connections']} clients, "
        "one row updated each, fsync on).",
    ]
    missing = [unit for unit, _, _ in UNITS if unit not in costs["units"]]
    if missing:
        lines += [
            "",
            f"No model: it needs every unit ({', '.join(missing)} not measured).",
            MARK_END,
        ]
        return "\n".join(lines)
    lines += [
        "",
        "### The mix and the cores it needs",
        "",
        f"capacity/mix.toml: {_per_day(mix.orders_per_day)} orders a day of "
        f"{mix.items_per_order:g} lines, {_per_day(mix.client_changes_per_day)} client changes, "
        f"{_per_day(mix.product_changes_per_day)} product changes, "
        f"{_per_day(mix.logins_per_day)} sign-ins, {mix.reads_per_write:g} reads per write; "
        f"peak {mix.peak_to_average:g}{bench.TIMES} the average "
        f"({model.peak_orders_per_second(mix):.1f} orders/s at the peak).",
        "",
        "| service | API | relay | worker | database |",
        "|---|---|---|---|---|",
    ]
    needed = model.cores_needed(costs, mix)
    for service in model.services_of(costs):
        lines.append(
            f"| {service} | "
            + " | ".join(f"{needed.get(f'{service}.{role}', 0.0):.2f}" for role in model.ROLES)
            + " |"
        )
    lines += [
        *(
            f"| {name} | {needed.get(name, 0.0):.2f} (all services) | | | |"
            for name in ("broker", "pgbouncer", "haproxy", "schedulers")
        ),
        "",
        "### Orders a day per cores per service",
        "",
        "Each service's API, relay and worker share the cores; its database has as many "
        "of its own. Orders a day at the mix's shape and peak; then, while the resource "
        "that saturates has a lift, the figure after it.",
        "",
        "| cores per service | orders/day | saturates first "
        "| lifts, in order: orders/day after each | stops at |",
        "|---|---|---|---|---|",
    ]
    for step in model.steps(costs, mix):
        chain = (
            "; ".join(
                f"{lift} ({resource.split(':')[0]}) → {_per_day(after)}"
                for resource, lift, after, _ in step.lifts
            )
            or "—"
        )
        lines.append(
            f"| {step.cores} | {_per_day(step.orders_per_day)} | {step.saturates} | {chain} "
            f"| {step.final_saturates} ({_per_day(step.final_orders_per_day)}) |"
        )
    cliffs = model.cliffs(costs, mix)
    lines += [
        "",
        (
            f"Cliffs before {_per_day(mix.target_orders_per_day)} orders a day on 16 cores per "
            f"service, every lift made: {', '.join(cliffs)} (see below for the plan)."
            if cliffs
            else f"No cliff before {_per_day(mix.target_orders_per_day)} orders a day on 16 cores "
            "per service once the lifts are made."
        ),
    ]
    if checks:
        lines += [
            "",
            "### The model against the cluster",
            "",
            f"Orders (3 lines) through HAProxy to the cluster drill's deployment: wrk at "
            f"saturation for {checks[0].get('seconds', 20)} s; *sustained* is the orders "
            "over the time until the last one's answer came back from products_api (the "
            "API alone takes them faster for a while, the events queueing behind). "
            "Predicted from the orders unit's CPU until its last event was handled, plus "
            "the share of its events' sweep repeats (two each, the two sweeps after an "
            "event) that fall inside a run of the orders placed at the predicted rate, "
            "sent evenly across it (none for an instant run, one of two for a run of two "
            "sweep intervals, towards two for a long one), on the cores the system had: "
            "the machine's less what other processes (wrk, other people's work) took "
            "meanwhile, measured from /proc/stat, and less the deployment's idle burn.",
            "",
            "| replicas per API | cores available | API took, orders/s | sustained | "
            "predicted (binds) | within ±20 % | CPU ms per order, measured / predicted "
            "| sweep repeats in the run |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for check in checks:
            lines.append(
                f"| {check['replicas']} | {check['available_cores']:.2f} | "
                f"{check['api_rps']:.0f} | {check['measured_rps']:.1f} | "
                f"{check['predicted_rps']:.1f} ({check['binding']}) "
                f"| {'yes' if check['rps_within'] else 'no'} "
                f"| {check['measured_cpu_ms_per_order']:.0f} / "
                f"{check['predicted_cpu_ms_per_order']:.0f} "
                f"| {_repeats(check)} |"
            )
        if all("unloaded" in check for check in checks):
            lines += lag_report(checks)
    lines.append(MARK_END)
    return "\n".join(lines)


def _repeats(check: dict) -> str:
    """The sweep repeats of an event the prediction counted inside the saturation run
    (none counted in a check recorded before it did, ``--model-only``)."""
    repeats = check.get("sweep_repeats_within")
    return "—" if repeats is None else f"{repeats:.2f} of 2"


def _spread(window: dict) -> str:
    """Every window's mean lag at that rate, for a window chosen by ``median_of``, and
    its speed probe (none in a check recorded before the probe, ``--model-only``)."""
    means = window.get("lag_ms_windows", [])
    if len(means) <= 1:
        return ""
    probes = window.get("probe_ms_windows", [])
    speed = "; probe " + ", ".join(f"{ms:.0f}" for ms in probes) + " ms" if probes else ""
    return "[" + ", ".join(f"{ms:.0f}" for ms in means) + speed + "]"


def lag_report(checks: list[dict]) -> list[str]:
    """The lag's check: the measurement at a low rate the prediction starts from, the
    prediction and the measurement at the rate predicted to keep the cores half busy,
    and the critical path's CPU hop by hop."""
    lines = [
        "",
        "The lag (creation to `stock_status=reserved`, mean over the orders reserved) "
        f"over {LAG_SECONDS} s of orders at a fixed rate, each window once the sweeps had "
        f"passed over earlier work: at {UNLOADED_RATE:g} orders/s (*unloaded*), then at "
        f"the rate the model says keeps the cores {LAG_UTILIZATION:.0%} busy (*loaded*); "
        f"{LAG_WINDOWS} windows at each rate, the one with the median mean judged (every "
        "window's mean in brackets, then the machine's speed around each: the CPU ms of "
        "a fixed loop, longer when the machine runs slower). "
        "Predicted from the unloaded window alone: the cores busy the rate times the CPU "
        "a lone order costs (its relay passes, worker tasks and commits there at what "
        "one cost, the rest at the order unit's cost) over the cores the system had "
        "there; the waits that take no core (the lag less the critical "
        "path's CPU at that utilization); the path's CPU stretched by the loaded rate's "
        "utilization, waiting for one of the machine's cores as in an M/M/c queue.",
        "",
        "| replicas per API | unloaded lag (p99) | CPU ms a lone order | CPU ms on "
        "the path | waits | loaded rate | cores busy, predicted / measured | lag mean "
        "(p99) | predicted | within ±20 % |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for check in checks:
        unloaded, loaded = check["unloaded"], check["loaded"]
        lines.append(
            f"| {check['replicas']} | {unloaded['lag_ms']:.0f} ms "
            f"({unloaded['lag_p99_ms']:.0f} ms) at {unloaded['rate']:g}/s "
            f"{_spread(unloaded)} "
            f"| {check['lone_order_cpu_ms']:.0f} "
            f"| {sum(check['path_cpu_ms'].values()):.1f} | {check['waits_ms']:.0f} ms "
            f"| {loaded['rate']:.1f}/s | {check['predicted_lag_utilization']:.0%} / "
            f"{loaded['utilization']:.0%} "
            f"| {loaded['lag_ms']:.0f} ms ({loaded['lag_p99_ms']:.0f} ms) {_spread(loaded)} "
            f"| {check['predicted_lag_ms']:.0f} ms | {'yes' if check['lag_within'] else 'no'} |"
        )
    lines += [
        "",
        "| the critical path's hops | "
        + " | ".join(f"CPU ms, {check['replicas']} per API" for check in checks)
        + " |",
        "|---|" + "---|" * len(checks),
    ]
    for hop in checks[0]["path_cpu_ms"]:
        lines.append(
            f"| {hop} | "
            + " | ".join(f"{check['path_cpu_ms'][hop]:.2f}" for check in checks)
            + " |"
        )
    return lines


def record(block: str) -> None:
    """Puts ``block`` in docs/capacity.md in place of the one there."""
    text = DOC.read_text()
    text = text[: text.index(MARK_BEGIN)] + block + text[text.index(MARK_END) + len(MARK_END) :]
    DOC.write_text(text)
    print(f"==> recorded in {DOC.relative_to(REPO)}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix", type=Path, default=MIX, help="the daily mix (TOML)")
    parser.add_argument("--seed", type=int, default=500, help="clients and products to create")
    parser.add_argument("--seconds", type=int, default=8, help="wrk's run per unit")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument(
        "--idle-seconds",
        type=int,
        default=20,
        help="idle CPU measured for (two sweeps at the drill's 10 s)",
    )
    parser.add_argument(
        "--cluster-seconds", type=int, default=20, help="saturation run per replica count"
    )
    parser.add_argument("--only", nargs="*", default=None, help="units to measure (default: all)")
    parser.add_argument(
        "--check",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="check the model against orders at saturation with 2 and 1 replicas per API",
    )
    parser.add_argument(
        "--model-only",
        action="store_true",
        help="recompute the model from the last costs and check (var/capacity/)",
    )
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="check the last costs measured (var/capacity/costs.json) against the deployment",
    )
    parser.add_argument("--write", action="store_true", help="record in docs/capacity.md")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT.mkdir(parents=True, exist_ok=True)
    costs_file, checks_file = OUT / "costs.json", OUT / "cluster.json"
    mix = model.load_mix(args.mix)
    started = time.monotonic()
    if args.model_only:
        costs = json.loads(costs_file.read_text())
        checks = json.loads(checks_file.read_text()) if checks_file.exists() else []
        # The predictions are the model's too: recomputed from what the check measured
        # (a check recorded before the model took some input keeps that prediction).
        checks = [
            dict(
                check,
                **(
                    predict_lag(check["unloaded"], check["loaded"], costs)
                    if "unloaded" in check
                    else {}
                ),
                **(predict_throughput(check, costs) if "sweep_interval_s" in check else {}),
            )
            for check in checks
        ]
    else:
        with deployment(args) as system:
            if args.check_only:
                costs = json.loads(costs_file.read_text())
            else:
                costs = system.measure()
                costs_file.write_text(json.dumps(costs, indent=2) + "\n")
                print(f"==> costs in {costs_file.relative_to(REPO)}", flush=True)
            checks = check(system, costs) if args.check else []
            checks_file.write_text(json.dumps(checks, indent=2) + "\n")
    command = " ".join(["python scripts/capacity.py", *sys.argv[1:]])
    block = report(costs, mix, checks, command)
    (OUT / "report.md").write_text(block + "\n")
    print(block)
    if args.write:
        record(block)
    print(f"==> {time.monotonic() - started:.0f} s, load average now {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
