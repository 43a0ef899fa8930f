"""Migration 0005 on a database that has orders: the sequence goes on from there."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from common.auth.actors import Actor
from orders import services
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

BEFORE = [("orders", "0001_squashed_0004_translated_labels")]
AFTER = [("orders", "0005_order_number_sequence")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no sequence")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("highest_order", "counter"), [(500, 510), (520, 510)])
def test_the_sequence_starts_after_the_highest_number(highest_order, counter):
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        apps.get_model("orders", "OrderNumber").objects.update_or_create(
            pk=1, defaults={"last": counter}
        )
        apps.get_model("orders", "Order").objects.create(
            number=highest_order,
            client_id="9c8b7a69-5847-4362-9150-a1b2c3d4e504",
            client_name="Maria",
        )
        MigrationExecutor(connection).migrate(AFTER)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("orders"))
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    order = services.order_create(
        actor=Actor("u", "u"), client_id=client.pk, items=[services.ItemRequest(product.pk, 1)]
    )
    assert order.number == max(highest_order, counter) + 1
