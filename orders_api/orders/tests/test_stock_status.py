"""stock_status: pending at finish, then products_api's answer, through the real consumer."""

import uuid
from decimal import Decimal

import pytest

from common.auth.actors import Actor
from common.events.consumer import handle_event
from common.events.models import OutboxEvent
from orders import services
from orders.models import Order
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db


def _finished_order(quantity=2, stock=10):
    client = ClientSnapshotFactory()
    product = ProductSnapshotFactory(stock_quantity=stock, price=Decimal("2.00"))
    actor = Actor("u", "u")
    order = services.order_create(
        actor=actor, client_id=client.pk, items=[services.ItemRequest(product.pk, quantity)]
    )
    return services.order_finish(order_id=order.pk, actor=actor, expected_version=None), product


def _answer(order, status, **data):
    body = {
        "order_id": str(order.pk),
        "order_number": order.number,
        "status": status,
        "reason": "",
        "lines": [],
        "shortages": [],
        **data,
    }
    event = {
        "id": str(uuid.uuid4()),
        "type": f"products.stock.{status}",
        "source": "products_api",
        "aggregate_id": str(order.pk),
        "version": 1,
        "occurred_at": "2026-11-29T00:00:00Z",
        "data": body,
    }
    handle_event.apply(args=[event]).get()
    order.refresh_from_db()
    return order


def test_finishing_sets_pending_then_issued(admin_api):
    order, _ = _finished_order()
    assert order.stock_status == "pending"
    order = _answer(order, "issued")
    assert order.stock_status == "issued"
    assert OutboxEvent.objects.filter(aggregate_id=str(order.pk)).last().type == (
        "orders.order.updated"
    )
    assert admin_api.get("/api/v1/orders/?stock_status=issued").json()["count"] == 1
    refused = admin_api.post(f"/api/v1/orders/{order.pk}/cancel")
    assert refused.status_code == 409  # stock was taken: the order stays finished


def test_a_rejected_order_shows_why_and_can_be_cancelled(client_with):
    order, product = _finished_order()
    shortage = {"product_id": str(product.pk), "sku": product.sku, "requested": 2, "available": 1}
    order = _answer(
        order, "rejected", reason=f"Not enough stock for {product.sku}", shortages=[shortage]
    )
    assert (order.stock_status, order.stock_shortages) == ("rejected", [shortage])
    body = client_with("orders.view_order").get(f"/api/v1/orders/{order.pk}/").json()
    assert body["stock_reason"] == f"Not enough stock for {product.sku}"
    assert (
        client_with("orders.change_order").post(f"/api/v1/orders/{order.pk}/cancel").status_code
        == 403
    )
    cancelled = client_with("orders.cancel_order").post(
        f"/api/v1/orders/{order.pk}/cancel", {"reason": "sem estoque"}, format="json"
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


def test_repeated_or_late_answers_change_nothing():
    order, _ = _finished_order()
    order = _answer(order, "issued")
    version = order.version
    order = _answer(order, "rejected", reason="late")
    assert (order.stock_status, order.version) == ("issued", version)


def test_finish_is_refused_when_the_copies_already_show_too_little(admin_api):
    client = ClientSnapshotFactory()
    product = ProductSnapshotFactory(sku="POUCO", stock_quantity=3)
    order = services.order_create(
        actor=Actor("u", "u"),
        client_id=client.pk,
        items=[services.ItemRequest(product.pk, 2), services.ItemRequest(product.pk, 2)],
    )
    response = admin_api.post(f"/api/v1/orders/{order.pk}/finish")
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "insufficient_stock"
    assert problem["shortages"] == [
        {"product_id": str(product.pk), "sku": "POUCO", "requested": 4, "available": 3}
    ]
    assert Order.objects.get(pk=order.pk).status == "open"


def test_the_sweep_asks_again_for_a_pending_order_however_old_and_stops_once_answered():
    from datetime import timedelta

    from django.utils import timezone

    from common.events.convergence import sweep

    order, _ = _finished_order()
    open_order = services.order_create(
        actor=Actor("u", "u"),
        client_id=order.client_id,
        items=[services.ItemRequest(order.items.get().product_id, 1)],
    )
    OutboxEvent.objects.update(sent_at=timezone.now() - timedelta(days=1))  # long sent
    since = timezone.now() - timedelta(minutes=5)
    assert sweep(since=since) == 1  # the pending order only; the open one is settled
    repeat = OutboxEvent.objects.filter(repeat=True).get()
    assert (repeat.type, repeat.aggregate_id, repeat.version) == (
        "orders.order.finished",
        str(order.pk),
        order.version,
    )
    assert repeat.envelope["repeat"] is True
    assert repeat.envelope["data"]["stock_status"] == "pending"
    assert str(open_order.pk) != repeat.aggregate_id

    OutboxEvent.objects.update(sent_at=timezone.now() - timedelta(days=1))
    _answer(order, "issued")
    OutboxEvent.objects.update(sent_at=timezone.now() - timedelta(days=1))
    assert sweep(since=since) == 0  # answered: settled
