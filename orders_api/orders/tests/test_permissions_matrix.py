"""Every endpoint, both ways: 401 without a token, 403 without the code, 2xx with it."""

import pytest

from common import fastpath
from common.actors import Actor
from common.permission_catalogue import CATALOGUE
from common.testing import PermissionCase as Case
from common.testing import uncovered_routes
from orders import services
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

VIEW, ADD, CHANGE, CANCEL = (
    "orders.view_order",
    "orders.add_order",
    "orders.change_order",
    "orders.cancel_order",
)

# With the fast path off (plain Django), a new order's items are read back for its event
# and its answer, and an order's detail reads them once more.
READ_BACK = 0 if fastpath.enabled() else 1

CASES = [
    # the API's root (GET /api/v1/): any authenticated caller
    Case("get", "", None, queries=0),
    Case("get", "orders/", VIEW, queries=3),  # count, page, items
    # savepoint, client, products, items, status, number, order, outbox, release
    Case("post", "orders/", ADD, "new order", 201, queries=9 + 2 * READ_BACK),
    Case("get", "orders/<uuid:pk>/", VIEW, queries=2 + READ_BACK),  # the order, its items
    # "replace": does an event of the order still wait, not claimed? (common.events.recording)
    # savepoint, lock, items, update, replace, outbox, release
    Case("patch", "orders/<uuid:pk>/", CHANGE, {"notes": "n"}, queries=7),
    # savepoint, lock, product, insert, items, update, replace, outbox, release
    Case("post", "orders/<uuid:pk>/items/", CHANGE, "new item", 201, queries=9),
    # savepoint, lock, items, item update, order update, replace, outbox, release
    Case("patch", "orders/<uuid:pk>/items/<uuid:iid>/", CHANGE, {"quantity": 2}, queries=8),
    # savepoint, lock, items, delete, items, update, replace, outbox, release
    Case("delete", "orders/<uuid:pk>/items/<uuid:iid>/", CHANGE, None, 204, queries=9),
    # savepoint, lock, items, product copies, update, replace, outbox, status, release
    Case("post", "orders/<uuid:pk>/finish", CHANGE, queries=9),
    # savepoint, lock, items, update, replace, outbox, status, release
    Case("post", "orders/<uuid:pk>/cancel", CANCEL, {"reason": "r"}, queries=8),
    Case("get", "client-snapshots/", VIEW, queries=2),  # count, page
    Case("get", "client-snapshots/<uuid:pk>/", VIEW, queries=1),
    Case("get", "product-snapshots/", VIEW, queries=2),
    Case("get", "product-snapshots/<uuid:pk>/", VIEW, queries=1),
]


def _request(case):
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    order = services.order_create(
        actor=Actor("u", "u"),
        client_id=client.pk,
        items=[services.ItemRequest(product.pk, 1)],
    )
    item = order.items.get()
    owner = {"client-snapshots": client.pk, "product-snapshots": product.pk}.get(
        case.route.split("/")[0], order.pk
    )
    path = case.route.replace("<uuid:pk>", str(owner)).replace("<uuid:iid>", str(item.pk))
    body = case.body
    if body == "new order":
        body = {
            "client_id": str(client.pk),
            "items": [{"product_id": str(product.pk), "quantity": 1}],
        }
    elif body == "new item":
        body = {"product_id": str(product.pk), "quantity": 1}
    return "/api/v1/" + path, body


@pytest.mark.parametrize("case", CASES, ids=str)
def test_without_a_token_is_401(api_client, case):
    url, body = _request(case)
    assert getattr(api_client, case.method)(url, body, format="json").status_code == 401


@pytest.mark.parametrize("case", [c for c in CASES if c.code], ids=str)
def test_without_the_code_is_403(client_with, case):
    url, body = _request(case)
    client = client_with(*(code for code in CATALOGUE if code != case.code))
    assert getattr(client, case.method)(url, body, format="json").status_code == 403


@pytest.mark.parametrize("case", CASES, ids=str)
def test_with_the_code_succeeds(client_with, case, django_assert_max_num_queries):
    assert case.queries is not None, f"{case} has no query budget"
    (url, body), client = _request(case), client_with(case.code)
    with django_assert_max_num_queries(case.queries):
        response = getattr(client, case.method)(url, body, format="json")
    assert response.status_code == case.expected, response.content


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_superuser_passes(admin_api, case):
    url, body = _request(case)
    response = getattr(admin_api, case.method)(url, body, format="json")
    assert response.status_code == case.expected, response.content


def test_every_route_is_in_the_matrix():
    assert uncovered_routes(CASES) == []
