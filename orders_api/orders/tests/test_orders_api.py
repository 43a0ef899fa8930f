"""Orders: creation from the copies, items, totals, the lifecycle both ways, events."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from common import fastpath
from common.auth.actors import Actor
from common.development.testing import access_token, run_together
from common.events.models import OutboxEvent
from orders import services
from orders.models import Order, OrderStatusChange, ProductSnapshot
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory, address

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _order(api, client, *lines, **extra):
    body = {
        "client_id": str(client.pk),
        "items": [{"product_id": str(p.pk), "quantity": q} for p, q in lines],
        **extra,
    }
    return api.post(ORDERS, body, format="json")


def _events(order_id):
    return [
        (e.type, e.version)
        for e in OutboxEvent.objects.filter(aggregate_id=str(order_id)).order_by("id")
    ]


def test_create_copies_client_address_and_product_prices(admin_api):
    client = ClientSnapshotFactory(name="Maria")
    coffee = ProductSnapshotFactory(sku="CAFE", name="Café", price=Decimal("19.99"))
    sugar = ProductSnapshotFactory(sku="ACUCAR", name="Açúcar", price=Decimal("0.10"))
    response = _order(admin_api, client, (coffee, 7), (sugar, 3), notes="entregar cedo")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["stock_status"], body["client_name"]) == (
        "open",
        "pending",
        "Maria",
    )
    assert body["shipping_address"] == client.addresses[0]
    assert [(i["sku"], i["unit_price"], i["total"]) for i in body["items"]] == [
        ("CAFE", "19.99", "139.93"),
        ("ACUCAR", "0.10", "0.30"),
    ]
    assert body["total"] == "140.23"
    assert body["notes"] == "entregar cedo"
    assert response["Location"] == f"{ORDERS}{body['id']}/"
    assert _events(body["id"]) == [("orders.order.created", 1)]
    created = OutboxEvent.objects.get().envelope["data"]
    assert [item["total"] for item in created["items"]] == ["139.93", "0.30"]


def test_a_price_in_the_request_is_refused_never_taken(admin_api):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory(price=Decimal("33.33"))
    item = {"product_id": str(product.pk), "quantity": 3}
    body = {"client_id": str(client.pk), "items": [{**item, "unit_price": "0.01"}]}
    response = admin_api.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"items.0.unit_price": ["Unknown field."]}
    assert not Order.objects.exists()
    response = admin_api.post(ORDERS, {**body, "items": [item]}, format="json")
    assert response.json()["items"][0]["unit_price"] == "33.33"
    assert response.json()["total"] == "99.99"


def test_price_and_name_are_frozen_when_the_item_is_added(admin_api):
    client, product = (
        ClientSnapshotFactory(),
        ProductSnapshotFactory(name="Velho", price=Decimal("5.00")),
    )
    order = _order(admin_api, client, (product, 2)).json()
    ProductSnapshot.objects.filter(pk=product.pk).update(name="Novo", price=Decimal("9.00"))
    again = admin_api.get(f"{ORDERS}{order['id']}/").json()
    assert (again["items"][0]["product_name"], again["items"][0]["unit_price"]) == ("Velho", "5.00")
    added = admin_api.post(
        f"{ORDERS}{order['id']}/items/",
        {"product_id": str(product.pk), "quantity": 1},
        format="json",
    ).json()
    assert (added["product_name"], added["unit_price"]) == ("Novo", "9.00")
    assert admin_api.get(f"{ORDERS}{order['id']}/").json()["total"] == "19.00"


def test_an_explicit_shipping_address_is_copied(admin_api):
    second = address(label="Loja", is_default=False, city="Mossoró")
    client = ClientSnapshotFactory(addresses=[address(), second])
    product = ProductSnapshotFactory()
    body = _order(admin_api, client, (product, 1), shipping_address_id=second["id"]).json()
    assert body["shipping_address"]["city"] == "Mossoró"
    refused = _order(admin_api, client, (product, 1), shipping_address_id=str(uuid.uuid4()))
    assert refused.status_code == 422
    assert "shipping_address_id" in refused.json()["errors"]


def test_unknown_or_inactive_references_are_422_naming_the_field(admin_api):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    ghost = uuid.uuid4()
    unknown_client = admin_api.post(ORDERS, {"client_id": str(ghost), "items": []}, format="json")
    assert unknown_client.status_code == 422
    message = unknown_client.json()["errors"]["client_id"][0]
    assert str(ghost) in message and "may not have arrived" in message
    inactive = ClientSnapshotFactory(is_active=False)
    assert "inactive" in _order(admin_api, inactive, (product, 1)).json()["errors"]["client_id"][0]
    stale = ProductSnapshotFactory(is_active=False, sku="OLD")
    response = admin_api.post(
        ORDERS,
        {
            "client_id": str(client.pk),
            "items": [
                {"product_id": str(product.pk), "quantity": 1},
                {"product_id": str(uuid.uuid4()), "quantity": 1},
                {"product_id": str(stale.pk), "quantity": 1},
            ],
        },
        format="json",
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_reference"
    assert set(problem["errors"]) == {"items.1.product_id", "items.2.product_id"}
    assert "may not have arrived" in problem["errors"]["items.1.product_id"][0]
    assert "OLD is inactive" in problem["errors"]["items.2.product_id"][0]
    assert not Order.objects.exists()


def test_numbers_increase(admin_api):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    numbers = [_order(admin_api, client, (product, 1)).json()["number"] for _ in range(3)]
    assert numbers == sorted(set(numbers)) and numbers[0] > 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_get_distinct_numbers():
    with transaction.atomic():
        client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    token = access_token(permissions=["orders.add_order"])

    def place():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return _order(api, client, (product, 1)).json()["number"]

    numbers = run_together([place] * 12)
    assert len(set(numbers)) == 12


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer: creations queue there"
)
@pytest.mark.django_db(transaction=True)
def test_creations_do_not_wait_for_each_other():
    """A creation whose transaction is still open holds nothing the next one needs: the
    number comes from a sequence, not from a locked counter row."""
    with transaction.atomic():
        client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    actor = Actor("u", "u")
    first_placed, second_done, release = threading.Event(), threading.Event(), threading.Event()
    numbers = {}

    def create(name):
        numbers[name] = services.order_create(
            actor=actor, client_id=client.pk, items=[services.ItemRequest(product.pk, 1)]
        ).number

    def first():
        try:
            with transaction.atomic():
                create("first")
                first_placed.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def second():
        try:
            create("second")
            second_done.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_placed.wait(timeout=30)
    threads[1].start()
    finished_while_first_open = second_done.wait(timeout=10)
    release.set()
    for thread in threads:
        thread.join()
    assert finished_while_first_open
    assert numbers["second"] > numbers["first"]


def test_create_honours_idempotency_key(admin_api):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    body = {"client_id": str(client.pk), "items": [{"product_id": str(product.pk), "quantity": 2}]}
    first = admin_api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="o-1")
    again = admin_api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="o-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1


def test_items_change_while_open_and_totals_follow(admin_api):
    client = ClientSnapshotFactory()
    product = ProductSnapshotFactory(price=Decimal("0.07"), stock_quantity=1000)
    order = _order(admin_api, client, (product, 1)).json()
    url = f"{ORDERS}{order['id']}/items/"
    item = admin_api.post(
        url, {"product_id": str(product.pk), "quantity": 13}, format="json"
    ).json()
    assert item["total"] == "0.91"
    changed = admin_api.patch(f"{url}{item['id']}/", {"quantity": 143}, format="json")
    assert changed.json()["total"] == "10.01"
    assert admin_api.get(f"{ORDERS}{order['id']}/").json()["total"] == "10.08"
    stale = admin_api.patch(
        f"{url}{item['id']}/", {"quantity": 2}, format="json", HTTP_IF_MATCH=f'"{item["version"]}"'
    )
    assert stale.status_code == 412
    assert admin_api.delete(f"{url}{item['id']}/").status_code == 204
    assert admin_api.get(f"{ORDERS}{order['id']}/").json()["total"] == "0.07"
    # No relay runs here: each change replaced the update still waiting, so the newest
    # state (v4) is the one pending update.
    assert _events(order["id"]) == [("orders.order.created", 1), ("orders.order.updated", 4)]
    assert admin_api.patch(f"{url}{item['id']}/", {"quantity": 0}, format="json").status_code == 400


def test_the_lifecycle_both_ways(client_with):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    api = client_with(
        "orders.add_order", "orders.change_order", "orders.cancel_order", "orders.view_order"
    )
    empty = api.post(ORDERS, {"client_id": str(client.pk), "items": []}, format="json").json()
    refused = api.post(f"{ORDERS}{empty['id']}/finish")
    assert (refused.status_code, refused.json()["code"]) == (409, "order_empty")

    order = _order(api, client, (product, 2)).json()
    base = f"{ORDERS}{order['id']}"
    finished = api.post(f"{base}/finish")
    assert finished.status_code == 200
    assert (finished.json()["status"], finished.json()["stock_status"]) == ("finished", "pending")
    for attempt in (
        api.post(f"{base}/finish"),
        api.post(f"{base}/cancel"),
        api.patch(f"{base}/", {"notes": "x"}, format="json"),
        api.post(f"{base}/items/", {"product_id": str(product.pk), "quantity": 1}, format="json"),
    ):
        assert attempt.status_code == 409
    assert api.post(f"{base}/cancel").json()["code"] == "order_not_cancellable"

    other = _order(api, client, (product, 1)).json()
    cancelled = api.post(f"{ORDERS}{other['id']}/cancel", {"reason": "desistiu"}, format="json")
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "cancelled",
        "desistiu",
    )
    assert api.post(f"{ORDERS}{other['id']}/cancel").status_code == 409
    assert api.post(f"{ORDERS}{other['id']}/finish").status_code == 409

    assert _events(order["id"]) == [("orders.order.created", 1), ("orders.order.finished", 2)]
    assert _events(other["id"]) == [("orders.order.created", 1), ("orders.order.cancelled", 2)]
    history = OrderStatusChange.objects.filter(order_id=other["id"])
    assert [(h.from_status, h.to_status, h.reason, h.changed_by_username) for h in history] == [
        ("", "open", "", "tester"),
        ("open", "cancelled", "desistiu", "tester"),
    ]


def test_a_finished_order_whose_stock_was_refused_can_be_cancelled(admin_api):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    order = _order(admin_api, client, (product, 1)).json()
    admin_api.post(f"{ORDERS}{order['id']}/finish")
    Order.objects.filter(pk=order["id"]).update(stock_status="refused")
    response = admin_api.post(
        f"{ORDERS}{order['id']}/cancel", {"reason": "sem estoque"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_patch_notes_and_address_while_open(admin_api):
    second = address(label="Trabalho", is_default=False, city="Parnamirim")
    client = ClientSnapshotFactory(addresses=[address(), second])
    order = _order(admin_api, client, (ProductSnapshotFactory(), 1)).json()
    url = f"{ORDERS}{order['id']}/"
    response = admin_api.patch(
        url,
        {"notes": "portão azul", "shipping_address_id": second["id"]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200
    assert (response.json()["notes"], response.json()["shipping_address"]["city"]) == (
        "portão azul",
        "Parnamirim",
    )
    assert (
        admin_api.patch(url, {"notes": "x"}, format="json", HTTP_IF_MATCH='"1"').status_code == 412
    )


def test_list_filters_and_constant_queries(admin_api, django_assert_num_queries):
    maria, joao = ClientSnapshotFactory(name="Maria"), ClientSnapshotFactory(name="João")
    product = ProductSnapshotFactory()
    for _ in range(15):
        _order(admin_api, maria, (product, 1), (product, 2))
    finished = _order(admin_api, joao, (product, 1)).json()
    admin_api.post(f"{ORDERS}{finished['id']}/finish")

    def numbers(query):
        response = admin_api.get(f"{ORDERS}{query}")
        assert response.status_code == 200, response.json()
        return [o["number"] for o in response.json()["results"]]

    assert numbers("?status=finished") == [finished["number"]]
    assert numbers(f"?client_id={joao.pk}") == [finished["number"]]
    assert (
        len(numbers("?created_after=2000-01-01T00:00:00Z&created_before=2999-01-01T00:00:00Z"))
        == 16
    )
    assert numbers("?created_after=2999-01-01T00:00:00Z") == []
    assert numbers(f"?search={finished['number']}") == [finished["number"]]
    assert numbers("?ordering=number")[0] < numbers("?ordering=-number")[0]
    assert admin_api.get(f"{ORDERS}?created_after=yesterday").status_code == 400
    with django_assert_num_queries(3):  # count, page, items
        admin_api.get(f"{ORDERS}?limit=2")
    with django_assert_num_queries(3):
        body = admin_api.get(f"{ORDERS}?limit=16").json()
    assert all(len(order["items"]) in (1, 2) for order in body["results"])


def test_creating_an_order_reads_nothing_back(admin_api, django_assert_num_queries):
    """The event and the response take the items as written, and say what a read says;
    only the client and products are read. The number is one nextval(). With the fast
    path off (plain Django), the event and the response each read the items back."""
    client = ClientSnapshotFactory()
    first, second, third = (ProductSnapshotFactory() for _ in range(3))
    # savepoint, client, products, items, status, number, order, outbox event, release
    with django_assert_num_queries(9 if fastpath.enabled() else 11):
        response = _order(admin_api, client, (first, 1), (second, 2), (third, 3))
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    body = response.json()
    assert admin_api.get(f"{ORDERS}{order.pk}/").json() == body
    assert [item["sku"] for item in body["items"]] == [first.sku, second.sku, third.sku]
    assert body["total"] == str(order.total) and body["number"] == order.number
    event = OutboxEvent.objects.get(aggregate_id=str(order.pk))
    assert [item["sku"] for item in event.envelope["data"]["items"]] == [
        first.sku,
        second.sku,
        third.sku,
    ]
    assert response["ETag"] == '"1"'
