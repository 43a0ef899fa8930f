"""A write with a field the endpoint does not take is refused naming it (DESIGN §4), on
every write endpoint, nested items' fields dotted; a GET body sent back still passes."""

import pytest

from common.development.testing import HTML, unknown_field_answers
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


READ_ONLY = ["Read-only field: send it unchanged or leave it out."]


@pytest.mark.parametrize(
    "change",
    [
        lambda body: {"total": "0.01"},
        lambda body: {"status": "finished"},
        lambda body: {"number": body["number"] + 1},
        lambda body: {"items": [{**body["items"][0], "quantity": 9}]},
        lambda body: {"items": [], "total": "0.00"},
    ],
    ids=["total", "status", "number", "item-quantity", "items-dropped"],
)
def test_a_read_only_field_sent_changed_is_refused_by_name_and_nothing_changes(
    admin_api, order, change
):
    path = f"{ORDERS}{order['id']}/"
    body = {**admin_api.get(path).json(), "notes": "Entregar à tarde"}
    changed = change(body)
    response = admin_api.patch(path, {**body, **changed}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == dict.fromkeys(changed, READ_ONLY)
    assert admin_api.get(path).json() == order


def test_a_stale_version_in_the_body_is_ignored_and_if_match_still_decides(admin_api, order):
    path = f"{ORDERS}{order['id']}/"
    got = admin_api.get(path)
    body = {**got.json(), "notes": "x", "version": 99, "created_at": "2000-01-01T00:00:00Z"}
    response = admin_api.patch(path, body, format="json")
    assert (response.status_code, response.json()["notes"]) == (200, "x")
    stale = admin_api.patch(path, body, format="json", HTTP_IF_MATCH=got["ETag"])
    assert stale.status_code == 412


def test_an_item_body_sent_back_changes_its_quantity_but_not_its_price(admin_api, order):
    item = order["items"][0]
    path = f"{ORDERS}{order['id']}/items/{item['id']}/"
    refused = admin_api.patch(path, {**item, "unit_price": "0.01", "quantity": 3}, format="json")
    assert (refused.status_code, refused.json()["errors"]) == (400, {"unit_price": READ_ONLY})
    assert Order.objects.get().items.get().quantity == 2
    response = admin_api.patch(path, {**item, "quantity": 3}, format="json")
    assert response.status_code == 200, response.json()
    assert Order.objects.get().items.get().quantity == 3
    missing = admin_api.patch(f"{ORDERS}{order['id']}/items/{order['id']}/", item, format="json")
    assert missing.status_code == 404
