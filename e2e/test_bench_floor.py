"""The stock movement's SQL (scripts/bench/sql), which the bench's floor and ceiling run,
writes what the endpoint writes: the product's new state as an event under a new id,
which orders_api applies to its copy, not a captured event it would drop as a repeat."""

import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import bench
import harness

from e2e.conftest import command_env, postgres_server

SCRIPT = bench.SCRIPTS / "sql" / "stock_movement.sql"
MOVEMENTS = 6

# What the floor's gunicorn serves, called directly: every service's bench database is
# the one under test, and each call runs the script once.
_FLOOR = """
import sys
sys.path.insert(0, sys.argv[1])
import bench_floor
from django.test import RequestFactory

for _ in range(int(sys.argv[2])):
    assert bench_floor.run(RequestFactory().get("/"), "stock_movement").status_code == 200
"""


@pytest.fixture
def products_database(tmp_path):
    server = postgres_server("the bench's SQL")
    name = f"e2e_bench_sql_{uuid.uuid4().hex[:8]}"
    url = harness.create_database(server, name)
    try:
        env = command_env(tmp_path, url)
        harness.manage("products_api", "migrate", "--noinput", "-v", "0", env=env)
        harness.manage("products_api", "seed_bench", "3", env=env)
        bench.System._id_table("products", url, "SELECT id FROM products_product ORDER BY sku")
        yield url
    finally:
        harness.drop_database(server, name)


def _events(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT event_id, aggregate_id, version, envelope FROM common_outboxevent "
            "WHERE type = 'products.product.updated' ORDER BY id"
        ).fetchall()


def _assert_each_movement_published_its_product(url: str) -> None:
    events = _events(url)
    assert len(events) == MOVEMENTS
    assert len({envelope["id"] for *_, envelope in events}) == MOVEMENTS
    newest = {}
    for event_id, aggregate_id, version, envelope in events:
        assert envelope["id"] == str(event_id)
        assert (envelope["aggregate_id"], envelope["version"]) == (aggregate_id, version)
        assert envelope["source"] == "products_api"
        newest[aggregate_id] = envelope
    with psycopg.connect(url) as conn:
        products = conn.execute(
            "SELECT id, version, sku, name, price, is_active, stock_quantity, min_quantity, "
            "max_quantity FROM products_product"
        ).fetchall()
    moved = 0
    for pk, version, sku, name, price, is_active, stock, low, high in products:
        envelope = newest.get(str(pk))
        if envelope is None:
            assert version == 1  # never moved
            continue
        moved += 1
        data = envelope["data"]
        assert envelope["version"] == version
        assert (data["id"], data["sku"], data["name"]) == (str(pk), sku, name)
        assert Decimal(data["price"]) == price and data["is_active"] is is_active
        assert (data["stock_quantity"], data["min_quantity"], data["max_quantity"]) == (
            stock,
            low,
            high,
        )
    assert moved


def test_the_ceiling_publishes_each_movements_product(products_database):
    pgbench = shutil.which("pgbench")
    assert pgbench, "pgbench is missing: apt-get install postgresql-client"
    done = subprocess.run(
        [
            pgbench,
            "--no-vacuum",
            *("--client", "1", "--transactions", str(MOVEMENTS), "--protocol", "extended"),
            *("--file", str(SCRIPT), products_database),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_each_movement_published_its_product(products_database)


def test_the_floor_publishes_each_movements_product(products_database):
    env = {
        **os.environ,
        **{f"BENCH_{service.upper()}_URL": products_database for service in bench.SERVICES},
    }
    done = subprocess.run(
        [sys.executable, "-c", _FLOOR, str(bench.SCRIPTS.parent), str(MOVEMENTS)],
        env={key: value for key, value in env.items() if not key.startswith("DJANGO_")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    _assert_each_movement_published_its_product(products_database)
