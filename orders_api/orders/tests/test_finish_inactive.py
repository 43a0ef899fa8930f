"""An order whose client or a product was deactivated since it was placed cannot be
finished (409, naming which); it can still be cancelled (issue #35)."""

import pytest

from common.auth.actors import Actor
from common.events.models import OutboxEvent
from orders import services
from orders.models import ClientSnapshot, Order, ProductSnapshot
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


@pytest.fixture
def order():
    coffee = ProductSnapshotFactory(sku="CAFE")
    sugar = ProductSnapshotFactory(sku="ACUCAR")
    return services.order_create(
        actor=Actor("u", "u"),
        client_id=ClientSnapshotFactory().pk,
        items=[services.ItemRequest(coffee.pk, 1), services.ItemRequest(sugar.pk, 2)],
    )


def _finish(api, order):
    return api.post(f"{ORDERS}{order.pk}/finish")


def _refused_unchanged(response, order, code):
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    order_now = Order.objects.get(pk=order.pk)
    assert (order_now.status, order_now.version) == ("open", order.version)
    assert OutboxEvent.objects.filter(aggregate_id=str(order.pk)).count() == 1  # created only
    return response.json()


def test_a_deactivated_client_refuses_finishing_but_not_cancelling(admin_api, order):
    ClientSnapshot.objects.filter(pk=order.client_id).update(is_active=False)
    body = _refused_unchanged(_finish(admin_api, order), order, "client_inactive")
    assert body["client_id"] == str(order.client_id)
    assert "deactivated" in body["detail"]
    cancelled = admin_api.post(
        f"{ORDERS}{order.pk}/cancel", {"reason": "cliente saiu"}, format="json"
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


def test_a_deactivated_product_refuses_finishing_naming_it(admin_api, order):
    ProductSnapshot.objects.filter(sku="ACUCAR").update(is_active=False)
    body = _refused_unchanged(_finish(admin_api, order), order, "product_inactive")
    sugar = ProductSnapshot.objects.get(sku="ACUCAR")
    assert body["products"] == [{"product_id": str(sugar.pk), "sku": "ACUCAR"}]
    assert "ACUCAR" in body["detail"]
    assert admin_api.post(f"{ORDERS}{order.pk}/cancel").status_code == 200


def test_with_everything_active_the_order_finishes(admin_api, order):
    response = _finish(admin_api, order)
    assert response.status_code == 200
    assert response.json()["status"] == "finished"
    assert OutboxEvent.objects.filter(aggregate_id=str(order.pk)).count() == 2


@pytest.mark.default_language
def test_the_refusal_speaks_brazilian_portuguese(admin_api, order):
    ClientSnapshot.objects.filter(pk=order.client_id).update(is_active=False)
    detail = _finish(admin_api, order).json()["detail"]
    assert detail.startswith(f"O cliente do pedido nº {order.number} foi desativado")
