from django.core.management import call_command

from products.models import Product


def test_seed_bench_creates_products_in_stock(db):
    call_command("seed_bench", "3")
    assert sorted(Product.objects.values_list("sku", "stock_quantity")) == [
        ("BENCH-0000", 1_000_000),
        ("BENCH-0001", 1_000_000),
        ("BENCH-0002", 1_000_000),
    ]
