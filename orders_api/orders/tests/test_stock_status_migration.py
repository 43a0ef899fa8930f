"""Migration 0007 on a database that has orders: each stock_status becomes what it
means under reservations, and product copies show all their stock as available."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("orders", "0006_search_text")]
AFTER = [("orders", "0007_stock_reservations")]


@pytest.mark.django_db(transaction=True)
def test_existing_orders_and_copies_are_carried_over():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        Order = apps.get_model("orders", "Order")
        before = {
            ("open", "none"): "pending",
            ("finished", "pending"): "pending",
            ("finished", "issued"): "issued",
            ("finished", "rejected"): "refused",
            ("cancelled", "none"): "released",
            ("cancelled", "rejected"): "released",
        }
        for number, (status, stock_status) in enumerate(before, start=1):
            Order.objects.create(
                number=number,
                client_id="9c8b7a69-5847-4362-9150-a1b2c3d4e504",
                client_name="Maria",
                status=status,
                stock_status=stock_status,
                version=number + 1,
            )
        apps.get_model("orders", "ProductSnapshot").objects.create(
            id="9c8b7a69-5847-4362-9150-a1b2c3d4e505",
            sku="CAFE",
            name="Café",
            price="1.00",
            is_active=True,
            stock_quantity=7,
            min_quantity=0,
            max_quantity=10,
            version=1,
        )
        MigrationExecutor(connection).migrate(AFTER)
        apps = MigrationExecutor(connection).loader.project_state(AFTER).apps
        after = {
            (order.status, order.number): (order.stock_status, order.stock_asked_version)
            for order in apps.get_model("orders", "Order").objects.all()
        }
        assert after == {
            (status, number): (expected, number + 1)
            for number, ((status, _old), expected) in enumerate(before.items(), start=1)
        }
        assert apps.get_model("orders", "ProductSnapshot").objects.get().available == 7
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("orders"))
