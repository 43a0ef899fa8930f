"""The services of a `make bench-events` scenario as deployed, started once here for
scripts/bench/client_replay.py, products_import.py and reservations.py.

Each service gets a fresh PostgreSQL database (``BENCH_POSTGRES_URL``), production
settings and a Redis of the scenario's own (``harness.bench_redis_url``) as broker
and cache; the relays and workers the scenario names run until it ends.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[2])]  # scripts/, the repository
import harness  # noqa: E402

PG = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


@contextlib.contextmanager
def deployed(
    scenario: str, *, relays: Sequence[str] = (), workers: Sequence[str] = ()
) -> Iterator[dict[str, dict[str, str]]]:
    """Yields the environment of each service named in ``relays`` or ``workers`` (what
    ``harness.manage`` or ``manage.py`` of that service runs with), once each has its
    migrated database, the relays of ``relays`` run and the workers of ``workers``
    (one child each, as deployed) said they are ready.

    On exit, however it exits, stops them and drops the databases. Logs go to
    var/bench/<scenario>/.
    """
    logs = harness.REPO / "var" / "bench" / scenario
    logs.mkdir(parents=True, exist_ok=True)
    suffix = uuid.uuid4().hex[:8]
    services = [service for service in harness.SERVICES if service in {*relays, *workers}]
    names = {service: f"bench_{scenario}_{service}_{suffix}" for service in services}
    base = harness.production_env(
        logs / "keys",
        VAR_DIR=str(logs / "var"),
        BROKER_URL=harness.bench_redis_url(),
        CACHE_URL=harness.bench_redis_url(),
        LOG_LEVEL="WARNING",
    )
    processes: list[harness.Process] = []
    try:
        env = {}
        for service in services:
            env[service] = dict(
                base,
                DATABASE_URL=harness.create_database(PG, names[service]),
                SECRET_KEY=f"bench-{service}-{suffix}-" + "x" * 40,
            )
            harness.manage(service, "migrate", "-v", "0", env=env[service])
        for service in relays:
            relay = harness.command(
                service, "relay_outbox", env=env[service], log=logs / f"{service}-relay.log"
            )
            processes.append(relay.start())
        for service in workers:
            log = logs / f"{service}-worker.log"
            # The log is appended to: only this run's "ready." counts.
            since = len(log.read_text(errors="replace")) if log.exists() else 0
            worker = harness.worker(
                service, env=env[service], log=log, concurrency=harness.WORKER_CONCURRENCY
            ).start()
            processes.append(worker)
            harness.wait_until(
                lambda worker=worker, since=since: harness.worker_ready(worker, since),
                60,
                f"{service}'s worker",
            )
        yield env
    finally:
        for process in processes:
            process.stop()
        for name in names.values():
            harness.drop_database(PG, name)


def scalar(url: str, query: str) -> object:
    """The one value ``query`` reads from the database at ``url``."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query).fetchone()[0]
