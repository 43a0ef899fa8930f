"""Orders in the admin: placed, edited, finished and cancelled through orders.services, with
the API's permission codes (a users_api sign-in carries exactly the codes given here)."""

from decimal import Decimal

import pytest

from common.auth.actors import Actor
from common.events.models import OutboxEvent
from orders import services
from orders.models import Order, OrderItem
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory, address

pytestmark = pytest.mark.django_db

CLERK = ("orders.view_order", "orders.add_order", "orders.change_order", "orders.cancel_order")
ACTOR = Actor("u1", "someone")


def _inline(prefix, forms=(), initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(forms)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, form in enumerate(forms):
        data.update({f"{prefix}-{index}-{key}": value for key, value in form.items()})
    return data


def _order(*items, client=None):
    client = client or ClientSnapshotFactory()
    return services.order_create(
        actor=ACTOR,
        client_id=client.pk,
        items=[services.ItemRequest(product.pk, quantity) for product, quantity in items],
    )


def _change(browser, order, items=(), **fields):
    """POSTs the order's change form; ``items`` are the item rows (existing rows first)."""
    order.refresh_from_db()
    existing = list(order.items.all())
    data = {"notes": order.notes, "shipping_address_id": "", **fields}
    data.update(_inline("items", items, initial=len(existing)))
    data.update(_inline("status_changes", initial=order.status_changes.count()))
    for index, (form, item) in enumerate(zip(items, existing, strict=False)):
        data.update({f"items-{index}-id": str(item.pk), f"items-{index}-order": str(order.pk)})
        data.setdefault(f"items-{index}-quantity", str(form.get("quantity", item.quantity)))
    return browser.post(f"/admin/orders/order/{order.pk}/change/", data)


def test_a_clerk_places_an_order_with_an_item_at_the_copys_price(admin_signed_in):
    clerk = admin_signed_in(*CLERK, username="caio")
    client = ClientSnapshotFactory(name="Dona Benta", addresses=[address(city="Natal")])
    product = ProductSnapshotFactory(price=Decimal("12.50"))
    data = {"client": str(client.pk), "notes": "Entregar pela manhã"}
    data.update(_inline("items", [{"product": str(product.pk), "quantity": "3"}]))
    data.update(_inline("status_changes"))
    data["items-0-unit_price"] = "0.01"  # not a field: the price is the copy's
    response = clerk.post("/admin/orders/order/add/", data)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/orders/order/{order.pk}/change/"
    item = order.items.get()
    assert (item.sku, item.quantity, item.unit_price) == (product.sku, 3, Decimal("12.50"))
    assert order.total == Decimal("37.50") and order.notes == "Entregar pela manhã"
    assert order.shipping_address["city"] == "Natal"
    placed = order.status_changes.get()
    assert placed.changed_by_username == "caio"
    assert list(OutboxEvent.objects.values_list("type", flat=True)) == [
        "orders.order.created",
        "orders.order.updated",
    ]


def test_placing_needs_add_order_and_an_active_client(admin_signed_in):
    viewer = admin_signed_in("orders.view_order")
    assert viewer.get("/admin/orders/order/add/").status_code == 403
    clerk = admin_signed_in(*CLERK, username="caio")
    inactive = ClientSnapshotFactory(is_active=False)
    data = {"client": str(inactive.pk), "notes": ""}
    data.update(_inline("items"))
    data.update(_inline("status_changes"))
    refused = clerk.post("/admin/orders/order/add/", data)
    assert refused.status_code == 200 and not Order.objects.exists()
    assert refused.context["adminform"].form.errors["client"]


def test_the_client_and_product_autocompletes_offer_active_copies_only(admin_signed_in):
    clerk = admin_signed_in(*CLERK)
    ClientSnapshotFactory(name="Padaria Ativa")
    ClientSnapshotFactory(name="Padaria Fechada", is_active=False)
    ProductSnapshotFactory(name="Pão francês", sku="PAO-1")
    ProductSnapshotFactory(name="Pão velho", sku="PAO-2", is_active=False)
    clients = clerk.get(
        "/admin/autocomplete/",
        {"app_label": "orders", "model_name": "order", "field_name": "client", "term": "Padaria"},
    ).json()
    assert [row["text"] for row in clients["results"]] == ["Padaria Ativa"]
    products = clerk.get(
        "/admin/autocomplete/",
        {"app_label": "orders", "model_name": "orderitem", "field_name": "product", "term": "Pão"},
    ).json()
    assert [row["text"] for row in products["results"]] == ["PAO-1 — Pão francês"]
    nobody = admin_signed_in(username="bia")
    denied = nobody.get(
        "/admin/autocomplete/",
        {"app_label": "orders", "model_name": "order", "field_name": "client", "term": "P"},
    )
    assert denied.status_code == 403


def test_items_are_added_changed_and_removed_while_open(admin_signed_in):
    clerk = admin_signed_in(*CLERK)
    first, second = ProductSnapshotFactory(price=Decimal("10.00")), ProductSnapshotFactory()
    order = _order((first, 1))
    response = _change(
        clerk, order, items=[{"quantity": "4"}, {"product": str(second.pk), "quantity": "2"}]
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    order.refresh_from_db()
    assert sorted((i.sku, i.quantity) for i in order.items.all()) == sorted(
        [(first.sku, 4), (second.sku, 2)]
    )
    assert order.total == Decimal("60.00")
    _change(clerk, order, items=[{"DELETE": "on"}, {}])
    assert [item.sku for item in order.items.all()] == [second.sku]


def test_a_viewer_cannot_edit_and_a_closed_order_is_read_only(admin_signed_in):
    product = ProductSnapshotFactory()
    order = _order((product, 1))
    viewer = admin_signed_in("orders.view_order")
    assert _change(viewer, order, items=[{"quantity": "9"}]).status_code == 403
    assert viewer.post(f"/admin/orders/order/{order.pk}/finish/").status_code == 403
    assert OrderItem.objects.get().quantity == 1
    services.order_finish(order_id=order.pk, actor=ACTOR, expected_version=None)
    clerk = admin_signed_in(*CLERK, username="caio")
    page = clerk.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert 'name="items-0-quantity"' not in page and 'id="finish-order"' not in page
    assert _change(clerk, order, items=[{"quantity": "9"}]).status_code == 403
    assert OrderItem.objects.get().quantity == 1


def test_finish_and_cancel_buttons_go_through_the_services(admin_signed_in):
    clerk = admin_signed_in(*CLERK)
    product = ProductSnapshotFactory(stock_quantity=5)
    order = _order((product, 2))
    page = clerk.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert 'id="finish-order"' in page and 'id="cancel-order"' in page
    finished = clerk.post(f"/admin/orders/order/{order.pk}/finish/", follow=True)
    order.refresh_from_db()
    assert (order.status, order.stock_status) == ("finished", "pending")
    assert "is now Finished" in finished.content.decode()
    # A finished order with its stock pending cannot be cancelled: the service says why.
    refused = clerk.post(f"/admin/orders/order/{order.pk}/cancel/", follow=True)
    assert "cannot be cancelled" in refused.content.decode()
    order.refresh_from_db()
    assert order.status == "finished"


def test_finishing_is_refused_with_the_services_reasons(admin_signed_in):
    clerk = admin_signed_in(*CLERK)
    empty = _order()
    answer = clerk.post(f"/admin/orders/order/{empty.pk}/finish/", follow=True).content.decode()
    assert "has no items" in answer
    arroz = ProductSnapshotFactory(sku="ARROZ")
    short = _order((arroz, 3))
    shortage = {"product_id": str(arroz.pk), "sku": "ARROZ", "requested": 3, "available": 1}
    services.orders_stock_answered(
        answers=[services.StockAnswer(short.pk, "refused", None, shortages=[shortage])]
    )
    answer = clerk.post(f"/admin/orders/order/{short.pk}/finish/", follow=True).content.decode()
    assert "could not be reserved (ARROZ short)" in answer
    assert set(Order.objects.values_list("status", flat=True)) == {"open"}


def test_cancel_needs_cancel_order_and_keeps_the_reason(admin_signed_in):
    order = _order((ProductSnapshotFactory(), 1))
    changer = admin_signed_in("orders.view_order", "orders.change_order")
    page = changer.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert 'id="cancel-order"' not in page
    assert changer.post(f"/admin/orders/order/{order.pk}/cancel/").status_code == 403
    canceller = admin_signed_in("orders.view_order", "orders.cancel_order", username="caio")
    canceller.post(f"/admin/orders/order/{order.pk}/cancel/", {"reason": "Cliente desistiu"})
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "Cliente desistiu")
    assert order.status_changes.last().changed_by_username == "caio"


def test_list_actions_finish_and_cancel_the_selected_orders(admin_signed_in):
    clerk = admin_signed_in(*CLERK)
    product = ProductSnapshotFactory()
    ready, empty = _order((product, 1)), _order()
    answer = clerk.post(
        "/admin/orders/order/",
        {"action": "finish_selected", "_selected_action": [str(ready.pk), str(empty.pk)]},
        follow=True,
    ).content.decode()
    assert "has no items" in answer and "1 order(s) changed" in answer
    ready.refresh_from_db(), empty.refresh_from_db()
    assert (ready.status, empty.status) == ("finished", "open")
    viewer = admin_signed_in("orders.view_order", username="bia")
    listing = viewer.get("/admin/orders/order/").content.decode()
    assert "finish_selected" not in listing and "cancel_selected" not in listing


def test_the_page_shows_address_creator_shortages_and_links(admin_signed_in, settings):
    settings.BACK_OFFICE_URLS = {
        **settings.BACK_OFFICE_URLS,
        "clients_api": "http://clients.example",
        "products_api": "http://products.example/",
    }
    clerk = admin_signed_in(*CLERK)
    client = ClientSnapshotFactory(addresses=[address(street="Rua das Flores", number="12")])
    product = ProductSnapshotFactory(sku="CAFE-1")
    order = _order((product, 2), client=client)
    services.order_finish(order_id=order.pk, actor=ACTOR, expected_version=None)
    shortage = {"product_id": str(product.pk), "sku": "CAFE-1", "requested": 2, "available": 0}
    services.orders_stock_answered(
        answers=[services.StockAnswer(order.pk, "refused", None, "short", [shortage])]
    )
    page = clerk.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Rua das Flores, 12 — Centro — Natal/RN — CEP 59010-000" in page
    assert "someone" in page  # who placed it, by name
    assert "CAFE-1: 2 asked, 0 in stock" in page
    assert f'href="http://clients.example/admin/clients/client/{client.pk}/change/"' in page
    assert f'href="http://products.example/admin/products/product/{product.pk}/change/"' in page
    assert 'id="cancel-order"' in page  # refused stock: it may be cancelled


@pytest.mark.default_language
def test_the_admin_speaks_portuguese_by_default(admin_signed_in, admin_api):
    clerk = admin_signed_in(*CLERK)
    order = _order((ProductSnapshotFactory(price=Decimal("1234.56")), 1))
    api = admin_api.get(f"/api/v1/orders/{order.pk}/").json()
    assert api["status"] == "open" and api["created_at"].endswith("Z")  # the JSON stays
    listing = clerk.get("/admin/orders/order/").content.decode()
    assert "Aberto" in listing and "R$\u00a01.234,56" in listing
    page = clerk.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Finalizar pedido" in page and "Histórico de status" in page
    english = clerk.get("/admin/orders/order/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Open" in english and "R$\u00a01,234.56" in english


@pytest.mark.default_language
def test_the_stock_statuses_read_in_portuguese(admin_signed_in):
    clerk = admin_signed_in(*CLERK)
    product = ProductSnapshotFactory()
    labels = {
        "pending": "Pendente",
        "reserved": "Reservado",
        "refused": "Recusado",
        "issued": "Baixado",
        "released": "Liberado",
    }
    for stock_status in labels:
        Order.objects.filter(pk=_order((product, 1)).pk).update(stock_status=stock_status)
    listing = clerk.get("/admin/orders/order/").content.decode()
    for stock_status, label in labels.items():
        assert f'<td class="field-stock_status">{label}</td>' in listing, stock_status
        filtered = clerk.get(f"/admin/orders/order/?stock_status__exact={stock_status}")
        assert filtered.content.decode().count('<td class="field-stock_status">') == 1


@pytest.mark.default_language
@pytest.mark.parametrize(("word", "status"), [("aberto", "open"), ("Finalizado", "finished")])
def test_the_api_status_filter_takes_the_portuguese_words(admin_api, word, status):
    product = ProductSnapshotFactory()
    open_order, finished = _order((product, 1)), _order((product, 1))
    services.order_finish(order_id=finished.pk, actor=ACTOR, expected_version=None)
    listed = admin_api.get(f"/api/v1/orders/?status={word}").json()["results"]
    assert [order["status"] for order in listed] == [status]
    assert {open_order.number, finished.number} >= {order["number"] for order in listed}
    assert admin_api.get("/api/v1/orders/?status=fechado").status_code == 400


@pytest.mark.default_language
def test_times_show_in_sao_paulo_as_dd_mm_yyyy(admin_signed_in):
    import datetime as dt

    clerk = admin_signed_in(*CLERK)
    order = _order((ProductSnapshotFactory(), 1))
    Order.objects.filter(pk=order.pk).update(
        created_at=dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)
    )
    listing = clerk.get("/admin/orders/order/").content.decode()
    assert "30/11/2026 23:30" in listing  # 02:30 UTC is 23:30 of the day before in São Paulo
