"""A write with a field the endpoint does not take is refused naming it (DESIGN §4), on
every write endpoint, nested items' fields dotted; a GET body sent back still passes."""

import pytest

from common.testing import HTML, unknown_field_answers
from orders.models import Order
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def test_every_write_endpoint_names_an_unknown_field(admin_api):
    answers = unknown_field_answers(admin_api)
    assert f"POST {ORDERS}" in answers  # the walk sees the endpoints
    assert answers == dict.fromkeys(answers, (400, ["Unknown field."]))


def test_an_items_unknown_field_is_named_dotted_and_nothing_is_placed(admin_api):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    response = admin_api.post(
        ORDERS,
        {
            "client_id": str(client.pk),
            "items": [
                {"product_id": str(product.pk), "quantity": 1},
                {"product_id": str(product.pk), "qty": 2},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "items.1.qty": ["Unknown field."],
        "items.1.quantity": ["This field is required."],
    }
    assert not Order.objects.exists()


def test_finish_takes_no_field_and_finishes_without_one(admin_api, order):
    path = f"{ORDERS}{order['id']}/finish"
    refused = admin_api.post(path, {"force": True}, format="json")
    assert (refused.status_code, refused.json()["errors"]) == (400, {"force": ["Unknown field."]})
    assert Order.objects.get().status == "open"
    assert admin_api.post(path, {}, format="json").status_code == 200
    assert Order.objects.get().status == "finished"


def test_a_get_body_patched_back_is_accepted(admin_api, order):
    path = f"{ORDERS}{order['id']}/"
    body = admin_api.get(path).json()
    body["notes"] = "Entregar à tarde"
    response = admin_api.patch(path, body, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["notes"], len(response.json()["items"])) == ("Entregar à tarde", 1)


def test_the_finish_button_of_the_browsable_api_still_finishes(admin_signed_in, order):
    browser = admin_signed_in("orders.view_order", "orders.change_order")
    finished = browser.post(f"{ORDERS}{order['id']}/finish", **HTML)
    assert finished.status_code == 200, finished.content.decode()[-2000:]
