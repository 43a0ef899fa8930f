"""The products import of `make bench-events` (issue #38): a spreadsheet of N products
imported in products_api's admin way, then orders_api holding every copy.

    python scripts/bench/products_import.py [N]

Fresh PostgreSQL databases for both services (production settings, a Redis of
their own), products_api's relay and orders_api's worker running; a CSV of N products (with
prices typed 8,99 and an initial stock) is imported by ``common.admin.spreadsheets.run_job``,
what products_api's worker runs for a large file: each row through the API's serializer
and ``product_create``. Prints the seconds the import took and the seconds after it
until orders_api held every copy; exits 1 when they are not all there 300 s after.
Targets (issue #38): 10,000 products written in <= 120 s, every copy <= 30 s after.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))
from deployed import deployed, scalar  # noqa: E402

#: Run inside products_api (manage.py shell): builds the file, imports it as the worker
#: would, prints the seconds the import took.
IMPORT = """
import time
from common.admin import spreadsheets
from products.models import ProductImport
import products.admin  # registers the importer

count = {count}
lines = ["SKU;nome;preço;quantidade em estoque;quantidade mínima;quantidade máxima"]
row = "BENCH-{{n:05d}};Produto de planilha {{n}};{{price}},99;10;2;100"
lines += [row.format(n=n, price=n % 90 + 1) for n in range(count)]
job = ProductImport.objects.create(
    file_name="bench.csv",
    content="\\n".join(lines).encode(),
    status=ProductImport.Status.IMPORTING,
    actor={{"id": "bench", "username": "bench", "is_superuser": True, "language": "pt-br"}},
)
started = time.monotonic()
spreadsheets.run_job(ProductImport._meta.label, str(job.pk))
job.refresh_from_db()
assert (job.status, job.created) == ("imported", count), (job.status, job.created, job.refusals[:3])
print(f"{{time.monotonic() - started:.2f}}")
"""


def import_products(count: int) -> tuple[float, float]:
    """Seconds the import of ``count`` products took, and seconds after it until
    orders_api held every copy. Raises SystemExit when they are not all there 300 s after."""
    with deployed("products_import", relays=["products_api"], workers=["orders_api"]) as env:
        print(f"==> products import: a spreadsheet of {count} products", flush=True)
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", IMPORT.format(count=count)],
            cwd=REPO / "products_api",
            env=env["products_api"],
            check=True,
            capture_output=True,
            text=True,
        )
        written = float(done.stdout.strip().splitlines()[-1])
        after = time.monotonic()
        query = "SELECT count(*) FROM orders_productsnapshot WHERE sku LIKE 'BENCH-%'"
        while (copies := scalar(env["orders_api"]["DATABASE_URL"], query)) < count:
            if time.monotonic() > after + 300:
                raise SystemExit(f"only {copies} of {count} product copies 300 s after")
            time.sleep(0.2)
        copied = time.monotonic() - after
        print(
            f"    written in {written:.1f} s; orders_api held every copy {copied:.1f} s after",
            flush=True,
        )
        return written, copied


if __name__ == "__main__":
    import_products(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
