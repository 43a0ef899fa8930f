"""``manage.py seed_bench N``: the products `make bench` measures against (scripts/bench.py)."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandParser

from products.services import product_create


class Command(BaseCommand):
    help = "Creates N bench products with plenty of stock, through the services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int)

    def handle(self, *args, count: int, **options) -> None:
        for n in range(count):
            product_create(
                actor=None,  # the system, not a person
                sku=f"BENCH-{n:04d}",
                name=f"Produto Bench {n:04d}",
                price=Decimal(10 + n % 90) + Decimal("0.90"),
                max_quantity=10_000_000,
                min_quantity=10,
                stock_quantity=1_000_000,
            )
            if n % 250 == 249:
                self.stdout.write(f"    products_api: {n + 1} products")
