"""Every endpoint, both ways: 401 without a token, 403 without the code, 2xx with it."""

import pytest
from django.conf import settings

from common import fastpath
from common.auth.actors import Actor
from common.development.testing import PermissionCase as Case
from common.development.testing import permission_matrix
from orders import services
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

VIEW, ADD, CHANGE, CANCEL = (
    "orders.view_order",
    "orders.add_order",
    "orders.change_order",
    "orders.cancel_order",
)

# With the fast path off, Django reads a created or fetched order's items back itself.
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
    # savepoint, lock, items, product copy (more units: the fast check), item update,
    # order update, replace, outbox, release
    Case("patch", "orders/<uuid:pk>/items/<uuid:iid>/", CHANGE, {"quantity": 2}, queries=9),
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


def _request(case, caller):
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


TestPermissionMatrix = permission_matrix(
    cases=CASES, catalogue=settings.PERMISSION_CODES, request=_request
)
