"""The local copies, fed through the real consumer task, and their read-only endpoints."""

import uuid

import pytest

from common.events import topology
from common.events.consumer import handle_batch, handle_event, handled_types
from common.events.models import DeadLetter, InboxEvent
from orders.models import ClientSnapshot, ProductSnapshot
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory, address

pytestmark = pytest.mark.django_db


def _client_event(client_id, version, kind="updated", **data):
    body = {
        "id": str(client_id),
        "kind": "individual",
        "name": "Maria",
        "document": "52998224725",
        "email": "",
        "phone": "",
        "is_active": True,
        "addresses": [address()],
    }
    body.update(data)
    return {
        "id": str(uuid.uuid4()),
        "type": f"clients.client.{kind}",
        "source": "clients_api",
        "aggregate_id": str(client_id),
        "version": version,
        "occurred_at": "2026-11-29T00:00:00Z",
        "data": body,
    }


def _product_event(product_id, version, kind="updated", **data):
    body = {
        "id": str(product_id),
        "sku": "CAFE",
        "name": "Café",
        "description": "",
        "price": "12.50",
        "is_active": True,
        "stock_quantity": 5,
        "min_quantity": 1,
        "max_quantity": 50,
        "low_stock": False,
    }
    body.update(data)
    return {
        "id": str(uuid.uuid4()),
        "type": f"products.product.{kind}",
        "source": "products_api",
        "aggregate_id": str(product_id),
        "version": version,
        "occurred_at": "2026-11-29T00:00:00Z",
        "data": body,
    }


def _deliver(event):
    handle_event.apply(args=[event]).get()


def test_client_copies_are_created_updated_and_deactivated():
    client_id = uuid.uuid4()
    _deliver(_client_event(client_id, 1, "created"))
    copy = ClientSnapshot.objects.get(pk=client_id)
    assert (copy.name, copy.version, copy.is_active) == ("Maria", 1, True)
    assert copy.addresses[0]["city"] == "Natal"
    _deliver(_client_event(client_id, 2, name="Maria S."))
    copy.refresh_from_db()
    assert (copy.name, copy.version) == ("Maria S.", 2)
    _deliver(_client_event(client_id, 3, "deleted", is_active=False))
    copy.refresh_from_db()
    assert (copy.is_active, copy.version) == (False, 3)


def test_product_copies_follow_price_and_deletion():
    product_id = uuid.uuid4()
    _deliver(_product_event(product_id, 1, "created"))
    _deliver(_product_event(product_id, 2, price="13.90", stock_quantity=4))
    copy = ProductSnapshot.objects.get(pk=product_id)
    assert (str(copy.price), copy.stock_quantity, copy.version) == ("13.90", 4, 2)
    _deliver(_product_event(product_id, 3, "deleted", is_active=False))
    copy.refresh_from_db()
    assert copy.is_active is False


def test_duplicates_are_ignored_and_old_versions_never_win():
    product_id = uuid.uuid4()
    newest = _product_event(product_id, 3, price="30.00")
    _deliver(newest)
    _deliver(newest)  # the same event again
    _deliver(_product_event(product_id, 2, price="20.00"))  # late
    _deliver(_product_event(product_id, 1, "created", price="10.00"))  # later still
    copy = ProductSnapshot.objects.get(pk=product_id)
    assert (str(copy.price), copy.version) == ("30.00", 3)
    assert InboxEvent.objects.filter(event_id=newest["id"]).count() == 1
    assert InboxEvent.objects.count() == 3


def test_snapshot_endpoints_show_version_and_sync_time(client_with):
    client_id, product_id = uuid.uuid4(), uuid.uuid4()
    _deliver(_client_event(client_id, 4))
    _deliver(_product_event(product_id, 2))
    api = client_with("orders.view_order")
    client = api.get(f"/api/v1/client-snapshots/{client_id}/")
    assert client.status_code == 200
    assert client["ETag"] == '"4"'
    body = client.json()
    assert body["version"] == 4 and body["synced_at"] and body["addresses"][0]["state"] == "RN"
    product = api.get(f"/api/v1/product-snapshots/{product_id}/").json()
    assert (product["price"], product["stock_quantity"], product["version"]) == ("12.50", 5, 2)
    assert api.get("/api/v1/product-snapshots/?search=caf").json()["count"] == 1
    assert api.get("/api/v1/client-snapshots/").json()["count"] == 1
    assert api.get(f"/api/v1/client-snapshots/{uuid.uuid4()}/").status_code == 404
    assert client_with("orders.add_order").get("/api/v1/client-snapshots/").status_code == 403


def test_the_queue_receives_every_event_handled_here():
    handled = handled_types()
    assert {
        "clients.client.updated",
        "products.product.updated",
        "products.stock.issued",
    } <= handled
    assert all(topology.routes_to("orders_api.events", kind) for kind in handled)
    assert not topology.routes_to("orders_api.events", "orders.order.created")


@pytest.mark.parametrize(
    ("path", "factory"),
    [("client-snapshots/", ClientSnapshotFactory), ("product-snapshots/", ProductSnapshotFactory)],
)
def test_list_query_count_does_not_grow_with_the_page(
    admin_api, django_assert_num_queries, path, factory
):
    factory.create_batch(12)
    with django_assert_num_queries(2):  # count, page
        assert len(admin_api.get(f"/api/v1/{path}?limit=2").json()["results"]) == 2
    with django_assert_num_queries(2):
        assert len(admin_api.get(f"/api/v1/{path}?limit=12").json()["results"]) == 12


def test_an_event_type_without_a_handler_is_ignored_neither_parked_nor_failing():
    # products.stock.low reaches orders_api.events (bound to products.#); nothing here
    # handles it (issue #37): it is acknowledged and dropped, alone or in a batch.
    product_id = uuid.uuid4()
    low = _product_event(product_id, 2, stock_quantity=1, low_stock=True)
    low["type"] = "products.stock.low"
    assert topology.routes_to("orders_api.events", low["type"])
    assert "products.stock.low" not in handled_types()
    _deliver(low)
    handle_batch.apply(args=[[dict(low, id=str(uuid.uuid4())), _product_event(product_id, 1)]])
    copy = ProductSnapshot.objects.get(pk=product_id)
    assert (copy.version, copy.stock_quantity) == (1, 5)  # the neighbour applied, not the low
    assert not DeadLetter.objects.exists()
    assert list(InboxEvent.objects.values_list("type", flat=True)) == ["products.product.updated"]
