"""`make bench-panel`: the sales panel's figures (orders.selectors.sales_panel) with
100,000 orders on PostgreSQL.

Makes a throwaway database on ``BENCH_POSTGRES_URL`` (postgres://postgres@127.0.0.1:5432
unless set), migrates orders_api into it, seeds ``--orders`` orders (a year of them, 1 to
4 lines each over 500 products: 80 % finished, 10 % cancelled, 10 % open), runs
VACUUM ANALYZE, then times ``sales_panel`` ``--runs`` times after one warm-up run, and each
figure's selector alone. Prints the figures and whether the median stays within
``--budget-ms`` (300); with ``--explain``, each query's plan. Drops the database at the
end, whatever happens.

The orders are bulk-inserted: a seed, not a use-case, so no events are recorded (nothing
consumes this database). Not part of `make test`: it measures, it does not check.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "orders_api")]

PG = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
BATCH = 5000


def _admin_sql(statement: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def _seed(orders: int, rng: random.Random) -> None:
    from django.db import connection, transaction
    from django.utils import timezone
    from orders.models import ClientSnapshot, Order, OrderItem, ProductSnapshot

    products = [
        ProductSnapshot(
            id=uuid.UUID(int=rng.getrandbits(128)),
            sku=f"SKU-{n:04d}",
            name=f"Produto {n:04d}",
            price=Decimal(rng.randint(100, 50000)) / 100,
            is_active=True,
            stock_quantity=1000,
            min_quantity=0,
            max_quantity=10000,
            version=1,
        )
        for n in range(500)
    ]
    clients = [
        ClientSnapshot(
            id=uuid.UUID(int=rng.getrandbits(128)),
            kind="individual",
            name=f"Cliente {n:04d}",
            document="52998224725",
            is_active=True,
            version=1,
        )
        for n in range(2000)
    ]
    now = timezone.now()
    with transaction.atomic():
        ProductSnapshot.objects.bulk_create(products)
        ClientSnapshot.objects.bulk_create(clients)
    for start in range(0, orders, BATCH):
        batch, lines, placed_at = [], [], []
        for number in range(start + 1, min(start + BATCH, orders) + 1):
            placed = now - dt.timedelta(seconds=rng.uniform(0, 365 * 86400))
            draw = rng.random()
            status = "finished" if draw < 0.8 else "cancelled" if draw < 0.9 else "open"
            finished = placed + dt.timedelta(hours=rng.uniform(0.5, 48))
            client = rng.choice(clients)
            order = Order(
                number=number,
                client_id=client.id,
                client_name=client.name,
                status=status,
                finished_at=min(finished, now) if status == "finished" else None,
            )
            placed_at.append((placed, order.id))
            order_lines = [
                OrderItem(
                    order=order,
                    product_id=product.id,
                    sku=product.sku,
                    product_name=product.name,
                    quantity=quantity,
                    unit_price=product.price,
                    total=product.price * quantity,
                )
                for product in rng.sample(products, rng.randint(1, 4))
                for quantity in [rng.randint(1, 5)]
            ]
            order.total = sum((line.total for line in order_lines), Decimal("0.00"))
            batch.append(order)
            lines += order_lines
        with transaction.atomic():
            Order.objects.bulk_create(batch)
            OrderItem.objects.bulk_create(lines)
            # auto_now_add stamped the insert's time on the orders: their seeded dates
            # (the lines' own dates play no part in the panel).
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE orders_order SET created_at = %s WHERE id = %s", placed_at
                )
        print(f"    {min(start + BATCH, orders):>7} orders", flush=True)
    with connection.cursor() as cursor:
        # As autovacuum leaves a table: the seed's updated rows cleaned, statistics taken.
        cursor.execute("VACUUM ANALYZE")


def _timed(call, runs: int) -> list[float]:
    call()  # warm-up: connection, prepared statements, caches
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--budget-ms", type=float, default=300.0)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    name = f"bench_panel_{uuid.uuid4().hex[:8]}"
    _admin_sql(f'CREATE DATABASE "{name}"')
    try:
        os.environ["ORDERS_API_DATABASE_URL"] = f"{PG}/{name}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orders_api.settings")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        from common.development.devfiles import ensure_dev_files

        ensure_dev_files("orders_api")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone
        from orders import selectors

        print(f"==> database {name}: migrating, seeding {args.orders} orders", flush=True)
        call_command("migrate", verbosity=0)
        began = time.perf_counter()
        _seed(args.orders, random.Random(38))  # noqa: S311 - repeatable data, no secret
        print(f"    seeded in {time.perf_counter() - began:.0f} s", flush=True)

        now = timezone.now()
        days = selectors.PanelDays.at(now)
        with CaptureQueriesContext(connection) as queries:
            panel = selectors.sales_panel(now=now)
        print(
            f"==> {len(queries)} queries; this month: {panel.month.placed} placed, "
            f"{panel.month.finished} finished, R$ {panel.month.revenue}; "
            f"{len(panel.open_orders)} open orders shown"
        )
        if args.explain:
            with connection.cursor() as cursor:
                for query in queries.captured_queries:
                    cursor.execute(f"EXPLAIN ANALYZE {query['sql']}")
                    print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")
        figures = {
            "sales_periods (2 queries)": lambda: selectors.sales_periods(days=days),
            "orders_by_status": lambda: selectors.orders_by_status(days=days),
            "revenue_by_day": lambda: selectors.revenue_by_day(days=days),
            "top_products": lambda: selectors.top_products(days=days),
            "open_orders_oldest_first": selectors.open_orders_oldest_first,
        }
        for label, call in figures.items():
            times = _timed(call, args.runs)
            print(f"    {label:<28} median {statistics.median(times):7.1f} ms")
        times = _timed(lambda: selectors.sales_panel(now=timezone.now()), args.runs)
        median = statistics.median(times)
        verdict = "within" if median <= args.budget_ms else "OVER"
        print(
            f"==> sales_panel with {args.orders} orders: median {median:.1f} ms, "
            f"max {max(times):.1f} ms over {args.runs} runs ({verdict} {args.budget_ms:.0f} ms)"
        )
        connection.close()
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
