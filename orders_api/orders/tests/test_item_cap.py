"""One cap on an order's items, the same at creation and on every add (issue #35)."""

import pytest
from django.db import transaction

from common.api.errors import DomainError
from common.auth.actors import Actor
from common.development.testing import run_together
from common.events.models import OutboxEvent
from orders import services
from orders.models import Order, OrderItem
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
ACTOR = Actor("u", "u")


def _placed(lines: int) -> Order:
    product = ProductSnapshotFactory(stock_quantity=1000)
    return services.order_create(
        actor=ACTOR,
        client_id=ClientSnapshotFactory().pk,
        items=[services.ItemRequest(product.pk, 1)] * lines,
    )


def _add(api, order):
    product = ProductSnapshotFactory()
    return api.post(
        f"{ORDERS}{order.pk}/items/", {"product_id": str(product.pk), "quantity": 1}, format="json"
    )


def test_the_cap_is_500_items():
    assert services.MAX_ITEMS_PER_ORDER == 500


def test_adding_to_a_full_order_is_409_and_changes_nothing(admin_api):
    order = _placed(services.MAX_ITEMS_PER_ORDER)
    events = OutboxEvent.objects.count()
    refused = _add(admin_api, order)
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    body = refused.json()
    assert body["code"] == "too_many_items"
    assert body["max_items"] == 500
    assert "500" in body["detail"]
    assert OrderItem.objects.filter(order=order).count() == 500
    assert OutboxEvent.objects.count() == events  # nothing recorded for a rollback
    order.refresh_from_db()
    assert order.version == 1


def test_adding_the_last_allowed_item_is_201_with_one_event(admin_api):
    order = _placed(services.MAX_ITEMS_PER_ORDER - 1)
    events = OutboxEvent.objects.count()
    assert _add(admin_api, order).status_code == 201
    assert OrderItem.objects.filter(order=order).count() == 500
    assert OutboxEvent.objects.count() == events + 1


def test_creating_past_the_cap_is_refused_naming_it(admin_api):
    product = ProductSnapshotFactory()
    body = {
        "client_id": str(ClientSnapshotFactory().pk),
        "items": [{"product_id": str(product.pk), "quantity": 1}] * 501,
    }
    response = admin_api.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert "500" in response.json()["errors"]["items"][0]
    assert not Order.objects.exists()
    with pytest.raises(DomainError) as refused:
        _placed(501)
    assert refused.value.code == "too_many_items"
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_cannot_pass_the_cap(monkeypatch):
    monkeypatch.setattr(services, "MAX_ITEMS_PER_ORDER", 3)
    with transaction.atomic():
        order = _placed(2)
        products = [ProductSnapshotFactory() for _ in range(4)]

    def add(product):
        def call():
            try:
                services.order_item_add(
                    actor=ACTOR, order_id=order.pk, product_id=product.pk, quantity=1
                )
            except DomainError as refused:
                return refused.code
            return "added"

        return call

    outcomes = run_together([add(product) for product in products])
    assert sorted(outcomes) == ["added", "too_many_items", "too_many_items", "too_many_items"]
    assert OrderItem.objects.filter(order=order).count() == 3
