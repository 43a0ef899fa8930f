"""products.stock.low: published once per crossing of the minimum downwards (issue #37)."""

import uuid

import pytest
from django.db import transaction

from common.errors import DomainError
from common.events.consumer import handle_event
from common.events.models import OutboxEvent
from products import services
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

LOW = "products.stock.low"


def _move(product, kind, quantity):
    services.stock_movement_create(
        actor=None, product_id=product.pk, kind=kind, quantity=quantity, reason="contagem"
    )


def _lows(product):
    return [
        event.envelope
        for event in OutboxEvent.objects.filter(aggregate_id=str(product.pk), type=LOW).order_by(
            "id"
        )
    ]


def test_crossing_the_minimum_downwards_publishes_once_with_what_to_buy():
    product = ProductFactory(
        sku="CAFE", stock_quantity=10, reserved=1, min_quantity=3, max_quantity=20
    )
    _move(product, "out", 6)  # 10 -> 4: still above the minimum
    assert _lows(product) == []
    _move(product, "out", 1)  # 4 -> 3: at the minimum, low
    [low] = _lows(product)
    product.refresh_from_db()
    assert (low["aggregate_id"], low["version"]) == (str(product.pk), product.version)
    assert low["source"] == "products_api"
    data = low["data"]
    assert (data["sku"], data["stock_quantity"], data["low_stock"]) == ("CAFE", 3, True)
    assert (data["reserved"], data["available"], data["suggested_quantity"]) == (1, 2, 18)
    assert data["min_quantity"] == 3 and data["max_quantity"] == 20 and data["price"] == "19.90"
    # In the product's stream, right after the update that made it low.
    types = list(
        OutboxEvent.objects.filter(aggregate_id=str(product.pk))
        .order_by("id")
        .values_list("type", "version")
    )
    assert types[-2:] == [
        ("products.product.updated", product.version),
        (LOW, product.version),
    ]


def test_movements_while_low_publish_nothing_more():
    product = ProductFactory(stock_quantity=10, min_quantity=5)
    _move(product, "out", 6)  # crosses: 10 -> 4
    _move(product, "out", 2)  # 4 -> 2
    _move(product, "in", 3)  # 2 -> 5: up, but still at the minimum
    _move(product, "adjustment", 1)  # counted: 1
    assert len(_lows(product)) == 1


def test_back_above_and_down_again_publishes_again():
    product = ProductFactory(stock_quantity=10, min_quantity=5)
    _move(product, "out", 6)  # 10 -> 4: low
    _move(product, "in", 2)  # 4 -> 6: above again, nothing published for that
    assert len(_lows(product)) == 1
    _move(product, "adjustment", 5)  # counted 5: low again
    lows = _lows(product)
    assert [low["data"]["stock_quantity"] for low in lows] == [4, 5]
    assert lows[0]["version"] < lows[1]["version"]


def test_a_product_created_low_or_made_low_by_its_minimum_has_not_crossed():
    # Only stock that moves crosses: a new product starts where it starts, and raising the
    # minimum is a catalogue edit (its products.product.updated says low_stock: true).
    product = services.product_create(
        actor=None, sku="NOVO", name="Novo", price=1, max_quantity=10, stock_quantity=1
    )
    services.product_update(
        actor=None, product_id=product.pk, expected_version=None, min_quantity=8
    )
    assert _lows(product) == []


def test_nothing_is_published_when_the_movement_rolls_back():
    product = ProductFactory(stock_quantity=10, min_quantity=5)
    with pytest.raises(RuntimeError), transaction.atomic():
        _move(product, "out", 6)
        raise RuntimeError("the caller's transaction fails after the movement")
    assert _lows(product) == []
    product.refresh_from_db()
    assert product.stock_quantity == 10


def test_a_refused_movement_publishes_nothing():
    product = ProductFactory(stock_quantity=3, min_quantity=0)
    with pytest.raises(DomainError):
        _move(product, "out", 4)
    assert _lows(product) == []


def test_stock_issued_for_a_finished_order_crosses_too():
    product = ProductFactory(stock_quantity=10, min_quantity=5)
    order_id = uuid.uuid4()
    item = {"product_id": str(product.pk), "quantity": 7}
    event = {
        "id": str(uuid.uuid4()),
        "type": "orders.order.finished",
        "source": "orders_api",
        "aggregate_id": str(order_id),
        "version": 2,
        "occurred_at": "2026-11-29T00:00:00Z",
        "data": {"id": str(order_id), "number": 7, "status": "finished", "items": [item]},
    }
    handle_event.apply(args=[event]).get()
    [low] = _lows(product)
    assert low["data"]["stock_quantity"] == 3
    handle_event.apply(args=[dict(event, id=str(uuid.uuid4()))]).get()  # asked again
    assert len(_lows(product)) == 1  # answered before: nothing moved, nothing crossed
