"""Bad input never gives a 500; the admin shows orders, and the copies read only."""

import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser

from common.auth.actors import Actor
from orders import services
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body",
    [
        '{"client_id": ',
        "[]",
        '{"client_id": "not-a-uuid", "items": []}',
        json.dumps({"client_id": str(uuid.uuid4()), "items": "lots"}),
        json.dumps({"client_id": str(uuid.uuid4()), "items": [{"product_id": 1, "quantity": "x"}]}),
        json.dumps({"client_id": str(uuid.uuid4()), "items": [{"quantity": 0}]}),
        '{"client_id": null, "items": null}',
    ],
)
def test_malformed_orders_are_4xx_problems(admin_api, body):
    response = admin_api.post("/api/v1/orders/", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"


def test_nested_item_errors_are_dotted(admin_api):
    body = {
        "client_id": str(uuid.uuid4()),
        "items": [
            {"product_id": str(uuid.uuid4()), "quantity": 1},
            {"product_id": "x", "quantity": 0},
        ],
    }
    errors = admin_api.post("/api/v1/orders/", body, format="json").json()["errors"]
    assert set(errors) == {"items.1.product_id", "items.1.quantity"}


def test_ten_megabytes_is_413(admin_api):
    body = json.dumps({"notes": "x" * (10 * 1024 * 1024)})
    assert (
        admin_api.post("/api/v1/orders/", body, content_type="application/json").status_code == 413
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders/nope/",
        f"/api/v1/orders/{uuid.uuid4()}/",
        f"/api/v1/orders/{uuid.uuid4()}/finish",
        f"/api/v1/product-snapshots/{uuid.uuid4()}/",
    ],
)
def test_unknown_ids_are_404(admin_api, url):
    method = admin_api.post if url.endswith("finish") else admin_api.get
    assert method(url).status_code == 404


def test_admin_lists_orders_and_shows_the_copies_read_only():
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-Admin-1")
    browser = Browser()
    browser.force_login(root)
    client, product = ClientSnapshotFactory(name="Dona Benta"), ProductSnapshotFactory()
    order = services.order_create(
        actor=Actor("u", "u"),
        client_id=client.pk,
        items=[services.ItemRequest(product.pk, 3)],
    )
    listing = browser.get("/admin/orders/order/?q=Benta").content.decode()
    assert "Dona Benta" in listing
    assert browser.get(f"/admin/orders/order/?q={order.number}").status_code == 200
    assert browser.get("/admin/orders/order/?status__exact=open").status_code == 200
    page = browser.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert product.sku in page and 'name="client_name"' not in page
    assert browser.get("/admin/orders/order/add/").status_code == 200  # see test_admin.py
    assert browser.get("/admin/orders/productsnapshot/").status_code == 200
    assert browser.get("/admin/orders/clientsnapshot/add/").status_code == 403


def test_a_refusal_keeps_the_http_status_in_status(admin_api):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    order = services.order_create(
        actor=Actor("u", "u"),
        client_id=client.pk,
        items=[services.ItemRequest(product.pk, 1)],
    )
    services.order_finish(order_id=order.pk, actor=Actor("u", "u"), expected_version=None)
    problem = admin_api.post(f"/api/v1/orders/{order.pk}/finish").json()
    assert (problem["status"], problem["order_status"]) == (409, "finished")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-01T00:00:00%2B17:57", 200),
        ("0001-01-01T00:10:00%2B23:59", 400),
        ("yesterday", 400),
    ],
)
def test_date_filters_with_odd_offsets_never_500(admin_api, value, expected):
    assert admin_api.get(f"/api/v1/orders/?created_after={value}").status_code == expected


def test_with_users_api_sign_in_view_order_shows_orders_items_history_and_copies(
    admin_signed_in,
):
    client, product = ClientSnapshotFactory(name="Dona Benta"), ProductSnapshotFactory()
    order = services.order_create(
        actor=Actor("u", "u"),
        client_id=client.pk,
        items=[services.ItemRequest(product.pk, 3)],
    )
    viewer = admin_signed_in("orders.view_order")
    page = viewer.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert product.sku in page  # the items inline
    assert "Status history" in page
    assert viewer.get("/admin/orders/clientsnapshot/").status_code == 200
    assert viewer.get("/admin/orders/productsnapshot/").status_code == 200
    assert viewer.get("/admin/orders/order/add/").status_code == 403
    nobody = admin_signed_in(username="bia")
    assert nobody.get("/admin/orders/order/").status_code == 403
    assert nobody.get("/admin/orders/clientsnapshot/").status_code == 403
