"""Finished orders take their items out of stock: all or nothing, once, never overselling.

Every test goes through the real consumer task (``events.handle``) with the
envelope orders_api publishes.
"""

import uuid

import pytest

from common.events import topology
from common.events.consumer import handle_event, handled_types
from common.events.models import InboxEvent, OutboxEvent
from common.testing import run_together
from products import services
from products.models import Product, StockIssue, StockMovement
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _finished(order_id, number, *lines, event_type="orders.order.finished"):
    items = [
        {
            "id": str(uuid.uuid4()),
            "product_id": str(product.pk),
            "sku": product.sku,
            "product_name": product.name,
            "quantity": quantity,
            "unit_price": "1.00",
            "total": f"{quantity}.00",
        }
        for product, quantity in lines
    ]
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "orders_api",
        "aggregate_id": str(order_id),
        "version": 2,
        "occurred_at": "2026-11-29T00:00:00Z",
        "data": {"id": str(order_id), "number": number, "status": "finished", "items": items},
    }


def _deliver(event):
    handle_event.apply(args=[event]).get()


def _answers(order_id):
    return [
        (e.type, e.envelope["data"])
        for e in OutboxEvent.objects.filter(aggregate_id=str(order_id)).order_by("id")
    ]


def test_an_order_with_enough_stock_is_issued_in_one_go():
    coffee = ProductFactory(stock_quantity=10)
    sugar = ProductFactory(stock_quantity=5)
    order_id = uuid.uuid4()
    before = set(OutboxEvent.objects.values_list("pk", flat=True))
    _deliver(_finished(order_id, 41, (coffee, 3), (sugar, 5), (coffee, 2)))
    coffee.refresh_from_db()
    sugar.refresh_from_db()
    assert (coffee.stock_quantity, sugar.stock_quantity) == (5, 0)
    movements = StockMovement.objects.filter(kind="out")
    assert sorted(m.quantity for m in movements) == [5, 5]
    assert {m.reference for m in movements} == {"order #41"}
    ((kind, answer),) = _answers(order_id)
    assert kind == "products.stock.issued"
    assert answer["status"] == "issued" and answer["order_number"] == 41
    new_types = sorted(OutboxEvent.objects.exclude(pk__in=before).values_list("type", flat=True))
    assert new_types == [
        "products.product.updated",
        "products.product.updated",
        "products.stock.issued",
        "products.stock.low",  # sugar: 5 -> 0, below its minimum of 2
    ]


def test_a_short_item_rejects_the_whole_order():
    plenty = ProductFactory(sku="PLENTY", stock_quantity=10)
    scarce = ProductFactory(sku="SCARCE", stock_quantity=1)
    order_id = uuid.uuid4()
    _deliver(_finished(order_id, 42, (plenty, 3), (scarce, 2)))
    plenty.refresh_from_db()
    assert plenty.stock_quantity == 10
    assert not StockMovement.objects.filter(kind="out").exists()
    ((kind, answer),) = _answers(order_id)
    assert kind == "products.stock.rejected"
    assert answer["shortages"] == [
        {"product_id": str(scarce.pk), "sku": "SCARCE", "requested": 2, "available": 1}
    ]
    assert "SCARCE" in answer["reason"]


def test_an_unknown_product_rejects_the_order():
    ghost = Product(pk=uuid.uuid4(), sku="GHOST", name="x")
    _deliver(_finished(uuid.uuid4(), 43, (ghost, 1)))
    assert StockIssue.objects.get().status == "rejected"


def test_a_redelivered_finish_issues_once():
    product = ProductFactory(stock_quantity=10)
    order_id = uuid.uuid4()
    event = _finished(order_id, 44, (product, 4))
    _deliver(event)
    _deliver(event)  # the same message again: the inbox drops it
    product.refresh_from_db()
    assert product.stock_quantity == 6
    assert len(_answers(order_id)) == 1
    # orders_api asks again (a repeat: its answer was lost): answered again, issued once.
    _deliver(_finished(order_id, 44, (product, 4)))
    product.refresh_from_db()
    assert product.stock_quantity == 6
    assert StockMovement.objects.filter(kind="out").count() == 1
    first, again = OutboxEvent.objects.filter(aggregate_id=str(order_id)).order_by("id")
    assert (again.type, again.version, again.repeat) == ("products.stock.issued", 1, True)
    assert again.envelope["data"] == first.envelope["data"]
    assert InboxEvent.objects.count() == 2


def test_a_rejected_order_asked_again_is_rejected_again_and_nothing_moves():
    product = ProductFactory(stock_quantity=1)
    order_id = uuid.uuid4()
    _deliver(_finished(order_id, 46, (product, 4)))
    _deliver(_finished(order_id, 46, (product, 4)))
    assert [kind for kind, _ in _answers(order_id)] == ["products.stock.rejected"] * 2
    assert not StockMovement.objects.filter(kind="out").exists()


def test_other_order_events_move_nothing():
    product = ProductFactory(stock_quantity=10)
    for event_type in ("orders.order.created", "orders.order.updated", "orders.order.cancelled"):
        _deliver(_finished(uuid.uuid4(), 45, (product, 4), event_type=event_type))
    product.refresh_from_db()
    assert product.stock_quantity == 10
    assert not StockIssue.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_orders_never_oversell():
    first, second = (
        services.product_create(
            actor=None, sku=sku, name=sku, price=1, max_quantity=100, stock_quantity=25
        )
        for sku in ("RACE-A", "RACE-B")
    )
    # 40 units of each asked for in all, the lines in both orders (locks go by id).
    orders = [(uuid.uuid4(), 100 + n, 3 + n % 3) for n in range(10)]

    def finish(order_id, number, quantity):
        lines = [(first, quantity), (second, quantity)]
        return lambda: _deliver(
            _finished(order_id, number, *(lines if number % 2 else lines[::-1]))
        )

    run_together([finish(*order) for order in orders])
    issues = {issue.pk: issue for issue in StockIssue.objects.all()}
    assert set(issues) == {order_id for order_id, _, _ in orders}  # none left unanswered
    assert any(issue.status == "rejected" for issue in issues.values())
    issued = sum(
        quantity for order_id, _, quantity in orders if issues[order_id].status == "issued"
    )
    for product in (first, second):
        product.refresh_from_db()
        assert product.stock_quantity >= 0
        assert issued + product.stock_quantity == 25
        assert sum(product.movements.values_list("delta", flat=True)) == product.stock_quantity


def test_the_queue_receives_the_order_events_handled_here_and_no_other():
    handled = handled_types()
    assert handled == {
        "orders.order.finished",
        "users.user.created",
        "users.user.updated",
        "users.user.deleted",
    }
    assert all(topology.routes_to("products_api.events", kind) for kind in handled)
    for ignored in ("orders.order.created", "orders.order.updated", "orders.order.cancelled"):
        assert not topology.routes_to("products_api.events", ignored)
