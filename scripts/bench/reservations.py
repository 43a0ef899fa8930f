"""The reservation lag of `make bench-events` (issue #37): orders placed in orders_api
at a steady rate, each timed until orders_api records its stock ``reserved``.

    python scripts/bench/reservations.py [RATE [SECONDS]]

Fresh PostgreSQL databases for clients_api, products_api and orders_api (production
settings, a Redis of their own), their relays and the two consumers' workers running;
50 clients and 200 products with a million units each (``seed_bench``, so that no
order is ever short) copied into orders_api. Then RATE orders/s for SECONDS, each of
three lines, placed by ``orders.services.order_create`` in a process of orders_api's
settings, as a request places them; products_api's worker reserves them and its
answer comes back to orders_api's worker.

An order's lag is from its ``created_at`` (its creation transaction) to its
``updated_at`` once ``stock_status`` is ``reserved``: nothing else saves the order in
between, so the answer's save is the only one. Prints p50/p95/p99/max and how many
orders were reserved, refused or never answered (still ``pending`` 120 s after the
last was placed). Target (issue #37): p99 <= 100 ms at 100 orders/s.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]  # scripts/bench/, scripts/
import harness  # noqa: E402
from bench_events import percentile  # noqa: E402
from deployed import deployed, scalar  # noqa: E402

CLIENTS = 50
PRODUCTS = 200
LINES = 3
#: Seconds after the last order is placed that the answers may take.
SETTLE = 120

#: Run inside orders_api (manage.py shell): places the orders at the rate, as a request
#: would, one transaction each; prints the seconds from the first to the last.
PLACE = """
import random
import time

from common.auth.actors import Actor
from orders.models import ClientSnapshot, ProductSnapshot
from orders.services import ItemRequest, order_create

count, rate, lines = {count}, {rate}, {lines}
clients = list(ClientSnapshot.objects.values_list("id", flat=True))
products = list(ProductSnapshot.objects.values_list("id", flat=True))
actor = Actor(id="bench", username="bench")
pick = random.Random(37)
started = time.monotonic()
for n in range(count):
    delay = started + n / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    order_create(
        actor=actor,
        client_id=pick.choice(clients),
        items=[
            ItemRequest(product_id=product, quantity=pick.randint(1, 3))
            for product in pick.sample(products, lines)
        ],
    )
print(f"{{time.monotonic() - started:.3f}}")
"""

#: Each order's answer and, once reserved, its lag in milliseconds.
ANSWERS = """
SELECT stock_status, EXTRACT(EPOCH FROM updated_at - created_at) * 1000 FROM orders_order
"""


def reservation_lag(rate: float, seconds: int) -> dict[str, float | None]:
    """Places ``rate`` orders/s for ``seconds``; returns how many were ``placed`` (of
    ``lines`` lines each), the ``rate`` reached, how many were ``reserved``, ``refused``
    and ``unanswered``, and the lag's ``p50``, ``p95``, ``p99`` and ``max`` in ms over
    the reserved ones (None when none was).

    Raises SystemExit when the seed's copies do not reach orders_api in 300 s.
    """
    import psycopg

    count = int(rate * seconds)
    with deployed(
        "reservations",
        relays=["clients_api", "products_api", "orders_api"],
        workers=["products_api", "orders_api"],
    ) as env:
        print(f"==> reservations: seeding {CLIENTS} clients and {PRODUCTS} products", flush=True)
        harness.manage("clients_api", "seed_bench", str(CLIENTS), env=env["clients_api"])
        harness.manage("products_api", "seed_bench", str(PRODUCTS), env=env["products_api"])
        orders_db = env["orders_api"]["DATABASE_URL"]
        copies = (
            "SELECT (SELECT count(*) FROM orders_clientsnapshot"
            "        WHERE jsonb_array_length(addresses) = 2)"
            "     + (SELECT count(*) FROM orders_productsnapshot)"
        )
        deadline = time.monotonic() + 300
        while scalar(orders_db, copies) < CLIENTS + PRODUCTS:
            if time.monotonic() > deadline:
                raise SystemExit("the seed's copies did not reach orders_api in 300 s")
            time.sleep(0.2)
        print(f"==> reservations: {count} orders at {rate:.0f}/s for {seconds} s", flush=True)
        done = subprocess.run(
            [
                *(sys.executable, "manage.py", "shell", "-c"),
                PLACE.format(count=count, rate=rate, lines=LINES),
            ],
            cwd=REPO / "orders_api",
            env=env["orders_api"],
            check=True,
            capture_output=True,
            text=True,
        )
        placing = float(done.stdout.strip().splitlines()[-1])
        pending = "SELECT count(*) FROM orders_order WHERE stock_status = 'pending'"
        deadline = time.monotonic() + SETTLE
        while scalar(orders_db, pending) and time.monotonic() < deadline:
            time.sleep(0.2)
        with psycopg.connect(orders_db, autocommit=True) as conn:
            answers = conn.execute(ANSWERS).fetchall()
    lags = [float(lag) for status, lag in answers if status == "reserved"]
    result = {
        "lines": LINES,
        "placed": len(answers),
        "rate": len(answers) / placing if placing else rate,
        "reserved": len(lags),
        "refused": sum(status == "refused" for status, _ in answers),
        "unanswered": sum(status == "pending" for status, _ in answers),
        **{
            name: percentile(lags, fraction) if lags else None
            for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
        "max": max(lags, default=None),
    }
    figures = (
        ", ".join(f"{name} {result[name]:.1f} ms" for name in ("p50", "p95", "p99", "max"))
        if lags
        else "no order reserved"
    )
    print(
        f"    {result['placed']} placed at {result['rate']:.0f}/s: {result['reserved']} "
        f"reserved, {result['refused']} refused, {result['unanswered']} never answered; "
        f"lag to reserved {figures}",
        flush=True,
    )
    return result


if __name__ == "__main__":
    reservation_lag(
        float(sys.argv[1]) if len(sys.argv) > 1 else 100.0,
        int(sys.argv[2]) if len(sys.argv) > 2 else 10,
    )
