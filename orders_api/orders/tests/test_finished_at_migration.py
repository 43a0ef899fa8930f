"""Migration 0008 on a database that has orders: those finished before it get the time of
their status change to finished; the others none."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("orders", "0007_stock_reservations")]
AFTER = [("orders", "0008_order_finished_at")]
FINISHED_AT = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_finished_at_comes_from_the_status_history():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        Order = apps.get_model("orders", "Order")
        StatusChange = apps.get_model("orders", "OrderStatusChange")
        orders = {
            status: Order.objects.create(
                number=number,
                client_id="9c8b7a69-5847-4362-9150-a1b2c3d4e504",
                client_name="Maria",
                status=status,
            )
            for number, status in enumerate(("open", "finished", "cancelled"), start=1)
        }
        for status in ("finished", "cancelled"):  # the cancelled one was finished first
            change = StatusChange.objects.create(
                order=orders[status], from_status="open", to_status="finished"
            )
            StatusChange.objects.filter(pk=change.pk).update(changed_at=FINISHED_AT)
        StatusChange.objects.create(
            order=orders["cancelled"], from_status="finished", to_status="cancelled"
        )
        MigrationExecutor(connection).migrate(AFTER)
        apps = MigrationExecutor(connection).loader.project_state(AFTER).apps
        finished_at = dict(
            apps.get_model("orders", "Order").objects.values_list("status", "finished_at")
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("orders"))
    assert finished_at == {"open": None, "finished": FINISHED_AT, "cancelled": FINISHED_AT}
