"""The multi-node deployment (docs/operations.md: "Running on more than one machine"), real engines.

PostgreSQL (the machine's; fresh databases, one role per service) behind PgBouncer in
transaction mode; a three-node RabbitMQ cluster with quorum queues; two gunicorn
replicas of each API behind HAProxy; two relays per publishing service; two workers per
consuming queue. PgBouncer, HAProxy and RabbitMQ run from the files in deploy/, with
only the addresses changed. Every process is ours and stopped at the end; the machine's
own RabbitMQ and PostgreSQL keep running untouched.
"""

from __future__ import annotations

import configparser
import csv
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

from common.development.ports import free_port
from scripts import harness
from scripts.harness import CONSUMERS, PUBLISHERS, REPO, Process, wait_until
from scripts.harness import SERVICES as APIS

DEPLOY = REPO / "deploy"
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
ADMIN_PASSWORD = "Cluster-Admin-Pass-2026"
TOOLS = {
    "haproxy": "haproxy",
    "pgbouncer": "pgbouncer",
    "rabbitmq-server": str(RABBITMQ_BIN / "rabbitmq-server"),
}


def missing_tools() -> list[str]:
    return [name for name, path in TOOLS.items() if not shutil.which(path)]


@dataclass
class ServiceDatabase:
    service: str
    name: str
    role: str
    password: str


class Postgres:
    """Fresh databases on the machine's PostgreSQL, each owned by a role of its own that
    may connect to nothing else."""

    def __init__(self, server: str, suffix: str) -> None:
        self.server = server.rstrip("/")
        parts = re.match(r"postgres(?:ql)?://(?:[^@]*@)?([^:/]+):?(\d+)?", self.server)
        self.host, self.port = parts.group(1), int(parts.group(2) or 5432)
        self.suffix = suffix
        self.databases: dict[str, ServiceDatabase] = {}

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(f"{self.server}/postgres", autocommit=True)

    def create(self) -> None:
        with self._admin() as conn:
            for service in APIS:
                database = ServiceDatabase(
                    service,
                    f"cluster_{service}_{self.suffix}",
                    f"cluster_{service}_{self.suffix}",
                    secrets.token_urlsafe(16),
                )
                conn.execute(
                    f"CREATE ROLE \"{database.role}\" LOGIN PASSWORD '{database.password}'"
                )
                conn.execute(f'CREATE DATABASE "{database.name}" OWNER "{database.role}"')
                conn.execute(f'REVOKE ALL ON DATABASE "{database.name}" FROM PUBLIC')
                self.databases[service] = database

    def direct_url(self, service: str) -> str:
        db = self.databases[service]
        return f"postgres://{db.role}:{db.password}@{self.host}:{self.port}/{db.name}"

    def drop(self) -> None:
        with self._admin() as conn:
            for database in self.databases.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
                conn.execute(f'DROP ROLE IF EXISTS "{database.role}"')


def pgbouncer_config(postgres: Postgres, *, port: int, userlist: Path) -> str:
    """deploy/pgbouncer/pgbouncer.ini with this machine's PostgreSQL and ports."""
    config = configparser.ConfigParser(delimiters=("=",), comment_prefixes=(";",))
    config.optionxform = str
    config.read(DEPLOY / "pgbouncer" / "pgbouncer.ini")
    assert config["pgbouncer"]["pool_mode"] == "transaction"
    config.remove_section("databases")
    config.add_section("databases")
    for database in postgres.databases.values():
        config["databases"][database.name] = (
            f"host={postgres.host} port={postgres.port} dbname={database.name}"
        )
    config["pgbouncer"].update(
        listen_addr="127.0.0.1",
        listen_port=str(port),
        auth_file=str(userlist),
        admin_users="",
    )
    text = io.StringIO()
    config.write(text)
    return text.getvalue()


def haproxy_config(backends: dict[str, list[int]]) -> str:
    """deploy/haproxy/haproxy.cfg with each ``server-template`` replaced by one ``server``
    line per local replica port (same options, no DNS)."""

    def servers(match: re.Match) -> str:
        indent, prefix, count, host, options = match.groups()
        backend = host.removesuffix("-replica").replace("-", "_")
        ports = backends[backend]
        assert len(ports) == int(count), f"{backend}: {len(ports)} replicas, config has {count}"
        options = options.replace("resolvers docker", "").replace("init-addr none", "").split()
        return "\n".join(
            f"{indent}server {prefix}{index} 127.0.0.1:{port} {' '.join(options)}"
            for index, port in enumerate(ports, start=1)
        )

    template = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    rendered = re.sub(
        r"^(\s+)server-template (\S+) (\d+) ([\w-]+):\d+ (.*)$", servers, template, flags=re.M
    )
    assert "server-template" not in rendered
    return rendered


class RabbitMQCluster:
    """Three RabbitMQ nodes on this machine: distinct node names and ports, one Erlang
    cookie in a directory of their own, clustered with ``rabbitmqctl join_cluster``."""

    def __init__(self, base: Path, prefix: str) -> None:
        self.base = base
        self.home = base / "home"
        self.home.mkdir(parents=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")
        # deploy/rabbitmq/rabbitmq.conf without its peer list: the drill joins the nodes
        # by hand, the way an operator adds one.
        config = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
        config = "\n".join(
            line
            for line in config.splitlines()
            if not line.startswith("cluster_formation.") and not line.startswith("disk_free_limit")
        )
        (base / "rabbitmq.conf").write_text(config + "\ndisk_free_limit.absolute = 50MB\n")
        self.nodes = [f"{prefix}n{index}@localhost" for index in (1, 2, 3)]
        self.ports = {node: free_port() for node in self.nodes}
        self.processes: dict[str, Process] = {}
        for node in self.nodes:
            directory = base / node.split("@")[0]
            directory.mkdir()
            env = dict(
                self._cli_env(),
                RABBITMQ_NODENAME=node,
                RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
                RABBITMQ_NODE_PORT=str(self.ports[node]),
                RABBITMQ_DIST_PORT=str(free_port()),
                RABBITMQ_MNESIA_BASE=str(directory / "mnesia"),
                RABBITMQ_LOG_BASE=str(directory / "log"),
                RABBITMQ_PID_FILE=str(directory / "pid"),
                RABBITMQ_CONFIG_FILE=str(base / "rabbitmq.conf"),
                RABBITMQ_ADVANCED_CONFIG_FILE=str(base / "advanced.config"),
                RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
                RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
            )
            self.processes[node] = Process(
                node,
                [str(RABBITMQ_BIN / "rabbitmq-server")],
                env,
                base,
                directory / "server.log",
            )

    def _cli_env(self) -> dict[str, str]:
        return dict(
            os.environ,
            HOME=str(self.home),
            RABBITMQ_CONF_ENV_FILE=str(self.base / "rabbitmq-env.conf"),
            RABBITMQ_USE_LONGNAME="false",
        )

    def ctl(self, node: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", node, *args],
            env=self._cli_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_node(self, node: str) -> float:
        """Starts ``node``; returns once it runs (seconds taken)."""
        started = time.monotonic()
        self.processes[node].start()

        def booted() -> bool:
            if not self.processes[node].alive():
                raise AssertionError(f"{node} exited:\n{self.processes[node].log_text()}")
            return self.ctl(node, "await_startup", "--timeout", "5").returncode == 0

        wait_until(booted, 90, f"RabbitMQ node {node}")
        return time.monotonic() - started

    def start(self) -> None:
        first, *others = self.nodes
        self.start_node(first)
        for node in others:
            self.start_node(node)
            for args in (("stop_app",), ("join_cluster", first), ("start_app",)):
                result = self.ctl(node, *args)
                assert result.returncode == 0, f"{node} {args}: {result.stderr}"
        assert self.running_nodes() == set(self.nodes)

    def running_nodes(self) -> set[str]:
        """The running nodes, as the first node that answers sees them; empty when none
        answers. A node just restarted may not answer ``rabbitmqctl`` for a while, and on
        a busy machine the command (an Erlang VM of its own) outlasted 20 s: a timeout is
        one more node that did not answer, not an error."""
        for node in self.nodes:
            try:
                result = self.ctl(node, "cluster_status", "--formatter", "json", timeout=30)
            except subprocess.TimeoutExpired:
                continue
            if result.returncode == 0:
                return set(json.loads(result.stdout).get("running_nodes", []))
        return set()

    def queue_types(self) -> dict[str, str]:
        result = self.ctl(self.nodes[1], "list_queues", "name", "type", "--formatter", "json")
        assert result.returncode == 0, result.stderr
        return {row["name"]: row["type"] for row in json.loads(result.stdout)}

    def url(self) -> str:
        """kombu's failover URL: every node, tried in turn when one is down."""
        return ";".join(f"amqp://guest:guest@127.0.0.1:{self.ports[n]}//" for n in self.nodes)

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


@dataclass
class Api:
    """One API's replicas, each a gunicorn of its own, and its HAProxy frontend."""

    name: str
    replicas: list[Process]
    ports: list[int]
    url: str = ""

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"


@dataclass
class Cluster:
    base: Path
    postgres: Postgres
    rabbitmq: RabbitMQCluster
    env: dict[str, str]
    apis: dict[str, Api] = field(default_factory=dict)
    relays: dict[str, list[Process]] = field(default_factory=dict)
    workers: dict[str, list[Process]] = field(default_factory=dict)
    schedulers: list[Process] = field(default_factory=list)
    infrastructure: list[Process] = field(default_factory=list)
    stats_url: str = ""
    pgbouncer_port: int = 0
    scratch: list[Path] = field(default_factory=list)

    def service_env(self, service: str) -> dict[str, str]:
        db = self.postgres.databases[service]
        pooled = f"postgres://{db.role}:{db.password}@127.0.0.1:{self.pgbouncer_port}/{db.name}"
        return dict(
            self.env,
            SECRET_KEY=f"cluster-{service}-{self.postgres.suffix}-" + "k" * 40,
            DATABASE_URL=pooled,
            DATABASE_POOL_MODE="transaction",
            **{f"{service.upper()}_DIRECT_DATABASE_URL": self.postgres.direct_url(service)},
            VAR_DIR=str(self.base / "var" / service),
        )

    def manage(self, service: str, *args: str, direct: bool = False) -> str:
        env = self.service_env(service)
        if direct:
            env["DATABASE_URL"] = self.postgres.direct_url(service)
            env["DATABASE_POOL_MODE"] = "session"
        return harness.manage(service, *args, env=env)

    def haproxy_servers(self) -> dict[tuple[str, str], str]:
        """(backend, server) -> status (UP, DOWN, ...), from HAProxy's stats page."""
        text = requests.get(f"{self.stats_url};csv", timeout=5).text.lstrip("# ")
        return {
            (row["pxname"], row["svname"]): row["status"].split()[0]
            for row in csv.DictReader(io.StringIO(text))
            if row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def stop(self) -> None:
        for processes in (*self.workers.values(), *self.relays.values(), self.schedulers):
            for process in processes:
                process.stop()
        for api in self.apis.values():
            for replica in api.replicas:
                replica.stop()
        for process in self.infrastructure:
            process.stop()
        self.rabbitmq.stop()
        for directory in self.scratch:
            shutil.rmtree(directory, ignore_errors=True)


def _command(service: str, command: str, index: int, env: dict[str, str], logs: Path) -> Process:
    """``manage.py <command>`` of ``service`` (a relay or a scheduler), started."""
    name = f"{service}-{command}-{index}"
    return harness.command(service, command, env=env, log=logs / f"{name}.log", name=name).start()


def start(base: Path, postgres_server: str) -> Cluster:
    """Brings the whole deployment up; the caller stops it (``Cluster.stop``)."""
    logs = base / "logs"
    logs.mkdir(parents=True)
    suffix = uuid.uuid4().hex[:8]
    postgres = Postgres(postgres_server, suffix)
    rabbitmq = RabbitMQCluster(base / "rabbitmq", f"cluster{suffix}")
    env = harness.production_env(
        base / "keys",
        JWT_ACCESS_MINUTES="60",
        BROKER_URL=rabbitmq.url(),
        BROKER_QUEUE_TYPE="quorum",
        CACHE_KEY_PREFIX=f"cluster-{suffix}",
        # The sweep repairs a lost event within this bound: well inside the drill's.
        EVENTS_CONVERGENCE_SECONDS="30",
    )
    for name in [name for name in env if name.endswith("DATABASE_URL")]:
        del env[name]
    cluster = Cluster(base, postgres, rabbitmq, env)
    try:
        postgres.create()
        cluster.pgbouncer_port = free_port()
        userlist = base / "pgbouncer-userlist.txt"
        userlist.write_text(
            "".join(f'"{db.role}" "{db.password}"\n' for db in postgres.databases.values())
        )
        ini = base / "pgbouncer.ini"
        ini.write_text(pgbouncer_config(postgres, port=cluster.pgbouncer_port, userlist=userlist))
        pgbouncer = ["pgbouncer", str(ini)]
        if os.geteuid() == 0:
            # PgBouncer refuses to run as root: it runs as postgres, from a directory that
            # user can reach (pytest's are private to root).
            readable = Path(tempfile.mkdtemp(prefix="cluster-pgbouncer-"))
            readable.chmod(0o755)
            cluster.scratch.append(readable)
            for path in (ini, userlist):
                shutil.move(path, readable / path.name)
                shutil.chown(readable / path.name, "postgres")
            ini.unlink(missing_ok=True)
            (readable / ini.name).write_text(
                (readable / ini.name)
                .read_text()
                .replace(str(userlist), str(readable / userlist.name))
            )
            pgbouncer = ["pgbouncer", "-u", "postgres", str(readable / ini.name)]
        cluster.infrastructure.append(
            Process("pgbouncer", pgbouncer, env, base, logs / "pgbouncer.log").start()
        )
        rabbitmq.start()

        for service in APIS:
            cluster.manage(service, "migrate", "--noinput", direct=True)
            cluster.manage(service, "collectstatic", "--noinput", "-v", "0")
        harness.create_superuser(
            cluster.service_env("users_api"),
            username="admin",
            password=ADMIN_PASSWORD,
            email="admin@example.com",
        )

        frontends = {service: free_port() for service in APIS}
        stats_port = free_port()
        users_url = f"http://127.0.0.1:{frontends['users_api']}"
        for service in APIS:
            ports = [free_port(), free_port()]
            service_env = dict(cluster.service_env(service), USERS_API_URL=users_url)
            replicas = [
                harness.api(
                    service,
                    port=port,
                    env=service_env,
                    log=logs / f"{service}-{port}.log",
                    workers=1,
                    threads=4,
                ).start()
                for port in ports
            ]
            cluster.apis[service] = Api(
                service, replicas, ports, f"http://127.0.0.1:{frontends[service]}"
            )
        haproxy_env = dict(
            env,
            HAPROXY_STATS_BIND=f"127.0.0.1:{stats_port}",
            **{f"{s.upper()}_BIND": f"127.0.0.1:{port}" for s, port in frontends.items()},
        )
        cfg = base / "haproxy.cfg"
        cfg.write_text(haproxy_config({name: api.ports for name, api in cluster.apis.items()}))
        cluster.infrastructure.append(
            Process(
                "haproxy",
                ["haproxy", "-db", "-f", str(cfg)],
                haproxy_env,
                base,
                logs / "haproxy.log",
            ).start()
        )
        cluster.stats_url = f"http://127.0.0.1:{stats_port}/stats"
        for service in PUBLISHERS:
            cluster.relays[service] = [
                _command(service, "relay_outbox", index, cluster.service_env(service), logs)
                for index in (1, 2)
            ]
        # One per publishing service, and orders_api's twice, as if started by mistake:
        # each run of a job is claimed in the database, so the second only waits.
        cluster.schedulers = [
            _command(service, "run_scheduler", index, cluster.service_env(service), logs)
            for service in PUBLISHERS
            for index in ((1, 2) if service == "orders_api" else (1,))
        ]
        for service in CONSUMERS:
            cluster.workers[service] = [
                harness.worker(
                    service,
                    env=cluster.service_env(service),
                    log=logs / f"{service}-worker-{index}.log",
                    concurrency=harness.WORKER_CONCURRENCY,
                    name=f"{service}-worker-{index}",
                ).start()
                for index in (1, 2)
            ]
        for api in cluster.apis.values():
            for index, replica in enumerate(api.replicas):
                url = api.replica_url(index)
                harness.wait_ready(replica, url, api.name)
        for workers in cluster.workers.values():
            for worker in workers:
                wait_until(
                    lambda worker=worker: harness.worker_ready(worker), 60, f"{worker.name} ready"
                )
        wait_until(lambda: set(cluster.haproxy_servers().values()) == {"UP"}, 30, "HAProxy: all UP")
    except BaseException:
        cluster.stop()
        postgres.drop()
        raise
    return cluster
