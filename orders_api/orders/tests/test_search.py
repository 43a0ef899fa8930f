"""?search= and the admin's search as clerks type (common.localization.search): orders by their
client's name, the copies of clients by name, document, districts and cities, the copies of products
by name and SKU; without accents, in any case. The copies are written by the events."""

import importlib
import uuid
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from common.auth.actors import Actor
from common.events.consumer import handle_event
from orders import services
from orders.models import ClientSnapshot, Order, ProductSnapshot
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory, address

pytestmark = pytest.mark.django_db

ACTOR = Actor("u1", "someone")


def _event(kind, aggregate_id, version, data):
    service = "clients" if kind == "client" else "products"
    return {
        "id": str(uuid.uuid4()),
        "type": f"{service}.{kind}.updated",
        "source": f"{service}_api",
        "aggregate_id": str(aggregate_id),
        "version": version,
        "occurred_at": "2026-12-06T00:00:00Z",
        "data": {"id": str(aggregate_id), **data},
    }


def _client_event(client_id, version, *addresses, name="João da Conceição"):
    data = {
        "kind": "individual",
        "name": name,
        "document": "52998224725",
        "email": "",
        "phone": "",
        "is_active": True,
        "addresses": list(addresses),
    }
    return _event("client", client_id, version, data)


def _product_event(product_id, version, name):
    data = {
        "sku": "P-1",
        "name": name,
        "price": "5.90",
        "is_active": True,
        "stock_quantity": 5,
        "min_quantity": 0,
        "max_quantity": 50,
    }
    return _event("product", product_id, version, data)


def _deliver(event):
    handle_event.apply(args=[event]).get()


def _found(api, path, term):
    response = api.get(f"/api/v1/{path}", {"search": term})
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_a_client_copy_is_found_by_name_district_and_city_without_accents(admin_api):
    client_id = uuid.uuid4()
    at_home = address(district="Boa Viagem", city="São Paulo", state="SP")
    _deliver(_client_event(client_id, 1, at_home))
    ClientSnapshotFactory(name="Maria Souza", document="11222333000181")
    for term in ("joao", "JOAO", "João", "conceicao", "sao paulo", "boa viagem", "529982"):
        assert _found(admin_api, "client-snapshots/", term) == [str(client_id)], term
    # A later event moves the copy and what finds it.
    _deliver(_client_event(client_id, 2, address(district="Centro", city="Maceió")))
    assert _found(admin_api, "client-snapshots/", "sao paulo") == []
    assert _found(admin_api, "client-snapshots/", "maceio") == [str(client_id)]


def test_a_product_copy_is_found_by_name_without_accents(admin_api):
    product_id = uuid.uuid4()
    _deliver(_product_event(product_id, 1, "Açúcar cristal"))
    ProductSnapshotFactory(name="Café")
    for term in ("acucar", "ACUCAR", "Açúcar", "p-1"):
        assert _found(admin_api, "product-snapshots/", term) == [str(product_id)], term
    _deliver(_product_event(product_id, 2, "Açúcar mascavo"))
    assert _found(admin_api, "product-snapshots/", "cristal") == []
    assert _found(admin_api, "product-snapshots/", "mascavo") == [str(product_id)]


def _order_for(client):
    product = ProductSnapshotFactory()
    return services.order_create(
        actor=ACTOR, client_id=client.pk, items=[services.ItemRequest(product.pk, 1)]
    )


def test_an_order_is_found_by_its_clients_name_without_accents_or_by_its_number(admin_api):
    joao = _order_for(ClientSnapshotFactory(name="João Conceição"))
    _order_for(ClientSnapshotFactory(name="Maria"))
    for term in ("joao", "JOAO", "joão", "conceicao", str(joao.number)):
        assert _found(admin_api, "orders/", term) == [str(joao.pk)], term
    assert _found(admin_api, "orders/", "pedro") == []


@pytest.mark.parametrize(
    ("path", "queries"), [("orders/", 3), ("client-snapshots/", 2), ("product-snapshots/", 2)]
)
def test_a_search_costs_no_more_queries_than_a_list(
    admin_api, django_assert_num_queries, path, queries
):
    for n in range(12):
        _order_for(ClientSnapshotFactory(name=f"João {n}"))
        ProductSnapshotFactory(name=f"João {n}")  # a product may bear a name too
    with django_assert_num_queries(queries):  # count, page (, the orders' items)
        body = admin_api.get(f"/api/v1/{path}", {"search": "joao", "limit": 12}).json()
    assert body["count"] == 12 and len(body["results"]) == 12


def test_the_admin_finds_orders_and_copies_without_accents(admin_signed_in):
    browser = admin_signed_in(is_superuser=True)
    joao = ClientSnapshotFactory(
        name="João Conceição", addresses=[address(district="Água Fria", city="Belém")]
    )
    ClientSnapshotFactory(name="Maria Souza")
    _order_for(joao)
    ProductSnapshotFactory(name="Açúcar cristal")
    ProductSnapshotFactory(name="Café")
    for page, term, shown, hidden in [
        ("order", "joao", "João Conceição", "Maria Souza"),
        ("clientsnapshot", "agua fria", "João Conceição", "Maria Souza"),
        ("clientsnapshot", "BELEM", "João Conceição", "Maria Souza"),
        ("productsnapshot", "acucar", "Açúcar cristal", "Café"),
    ]:
        html = browser.get(f"/admin/orders/{page}/", {"q": term}).content.decode()
        assert shown in html and hidden not in html, (page, term)


def test_the_migration_fills_the_search_text_of_existing_rows():
    order = _order_for(
        ClientSnapshotFactory(name="João", addresses=[address(district="Sé", city="Olinda")])
    )
    ProductSnapshotFactory(name="Pão", sku="P-9")
    for model in (Order, ClientSnapshot, ProductSnapshot):
        model.objects.update(search_text="")  # as the rows were before the migration
    migration = importlib.import_module("orders.migrations.0006_search_text")
    for operation in migration.Migration.operations[3:6]:
        operation.code(apps, SimpleNamespace(connection=connection))
    assert Order.objects.get(pk=order.pk).search_text == "joao"
    assert ClientSnapshot.objects.get().search_text == "joao\n52998224725\nse\nolinda"
    assert ProductSnapshot.objects.get(sku="P-9").search_text == "pao\np-9"
