"""Orders out to spreadsheets (issue #38): the filtered list with its items, CSV and XLSX,
headers and status words in the reader's language, numbers and dates typed, in a
budget of queries that does not grow with the orders."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from common.auth.actors import Actor
from orders import services
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

PT = {"HTTP_ACCEPT_LANGUAGE": "pt-br"}
EXPORT = "/admin/orders/order/export/"
ACTOR = Actor("u1", "someone")


def _order(*items, client=None):
    client = client or ClientSnapshotFactory(name="Dona Benta")
    return services.order_create(
        actor=ACTOR,
        client_id=client.pk,
        items=[services.ItemRequest(product.pk, quantity) for product, quantity in items],
    )


def test_the_export_has_one_row_per_item_typed_and_in_portuguese(admin_signed_in):
    rice = ProductSnapshotFactory(sku="ARROZ", name="Arroz", price=Decimal("8.99"))
    beans = ProductSnapshotFactory(sku="FEIJAO", name="=Feijão", price=Decimal("12.50"))
    open_order = _order((rice, 2), (beans, 1))
    cancelled = _order((rice, 1))
    services.order_cancel(
        actor=ACTOR, order_id=cancelled.pk, expected_version=None, reason="desistiu"
    )
    browser = admin_signed_in("orders.view_order", username="contador")

    response = browser.get(f"{EXPORT}?status__exact=open&format=xlsx", **PT)
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == (
        "número",
        "criado em",
        "situação",
        "status do estoque",
        "cliente",
        "total do pedido",
        "SKU",
        "nome do produto",
        "quantidade",
        "preço unitário",
        "total do item",
    )
    assert len(rows) == 3  # the open order's two items; the cancelled one filtered out
    number, created, status, _stock, client, total, sku, _name, quantity, price, item = rows[1]
    assert (number, status, client, total) == (open_order.number, "Aberto", "Dona Benta", 30.48)
    assert (sku, quantity, price, item) == ("ARROZ", 2, 8.99, 17.98)
    assert isinstance(created, datetime.datetime) and isinstance(total, float)
    assert rows[2][7] == "'=Feijão"  # escaped

    body = b"".join(browser.get(f"{EXPORT}?format=csv", **PT).streaming_content)
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 4
    assert {line[2] for line in lines[1:]} == {"Aberto", "Cancelado"}


def test_an_english_reader_gets_english_headers(admin_signed_in):
    _order((ProductSnapshotFactory(), 1))
    browser = admin_signed_in("orders.view_order", username="reader")
    body = b"".join(browser.get(f"{EXPORT}?format=csv").streaming_content)
    header, row = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[:3] == ["number", "created at", "status"] and row[2] == "Open"


def test_the_export_needs_the_view_code(admin_signed_in):
    outsider = admin_signed_in("products.view_product", username="fora")
    assert outsider.get(f"{EXPORT}?format=xlsx").status_code == 403


def test_the_export_reads_in_a_budget_of_queries_whatever_the_orders(
    admin_signed_in, django_assert_max_num_queries
):
    product = ProductSnapshotFactory()
    for _ in range(20):
        _order((product, 1), (ProductSnapshotFactory(), 2))
    browser = admin_signed_in("orders.view_order", username="contador")
    with django_assert_max_num_queries(10):
        response = browser.get(f"{EXPORT}?format=csv")
        body = b"".join(response.streaming_content)
    assert body.count(b"\n") == 41
