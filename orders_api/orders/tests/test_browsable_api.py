"""The browsable API for a person signed in to orders_api's admin: nested items as raw
JSON, actions as buttons."""

import json
from decimal import Decimal

import pytest

from common.development.testing import HTML, walk_as_html
from orders.models import Order
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


@pytest.fixture(autouse=True)
def _ready_without_a_broker(settings):
    # /readyz answers 503 while the broker is down, as it should; not what is walked here.
    settings.READINESS_CHECKS = ["common.operations.health.database_check"]


def test_every_url_renders_as_html_for_a_signed_in_person(admin_signed_in, order):
    browser = admin_signed_in(is_superuser=True)
    order_id = {"pk": order["id"]}
    answers = walk_as_html(
        browser,
        {
            "order-detail": order_id,
            "order-item-list": order_id,
            "order-item-detail": {**order_id, "iid": order["items"][0]["id"]},
            "order-finish": order_id,
            "order-cancel": order_id,
            "client-snapshot-detail": {"pk": order["client_id"]},
            "product-snapshot-detail": {"pk": order["items"][0]["product_id"]},
        },
    )
    assert {path: answer for path, answer in answers.items() if answer[0] >= 500} == {}
    assert answers[f"{ORDERS}{order['id']}/"] == (200, "text/html; charset=utf-8")
    # Item and action routes take no GET: a page with their forms (405).
    assert answers[f"{ORDERS}{order['id']}/finish"][0] == 405


def test_the_order_form_shows_the_shape_of_an_item(admin_signed_in, order):
    browser = admin_signed_in("orders.view_order", "orders.add_order")
    page = browser.get(ORDERS, **HTML)
    assert page.status_code == 200
    assert f"#{order['number']}" in page.content.decode() or str(order["number"]) in (
        page.content.decode()
    )
    body = json.loads(page.context["raw_data_post_form"]["_content"].initial)
    assert body == {
        "client_id": None,
        "items": [{"product_id": None, "quantity": 1}],
        "notes": "",
        "shipping_address_id": None,
    }
    assert 'name="status"' in page.content.decode()  # the filters


def test_an_order_is_placed_and_finished_from_the_browser(admin_signed_in):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory(price=Decimal("12.50"))
    browser = admin_signed_in("orders.view_order", "orders.add_order", "orders.change_order")
    created = browser.post(
        ORDERS,
        json.dumps(
            {"client_id": str(client.pk), "items": [{"product_id": str(product.pk), "quantity": 3}]}
        ),
        content_type="application/json",
        **HTML,
    )
    assert created.status_code == 201, created.content.decode()[-2000:]
    order = Order.objects.get()
    assert order.total == 3 * product.price
    refused = browser.post(
        ORDERS,
        json.dumps(
            {"client_id": str(client.pk), "items": [{"product_id": str(product.pk), "quantity": 0}]}
        ),
        content_type="application/json",
        **HTML,
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "<dt>items.0.quantity</dt>" in html
    # What was sent comes back in the raw-data form, to be corrected.
    assert '"quantity": 0' in refused.context["raw_data_post_form"]["_content"].initial
    finished = browser.post(f"{ORDERS}{order.pk}/finish", **HTML)
    assert finished.status_code == 200, finished.content.decode()[-2000:]
    order.refresh_from_db()
    assert order.status == "finished"
