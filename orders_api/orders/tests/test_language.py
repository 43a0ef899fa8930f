"""orders_api's messages in the reader's language: its refusals, the fields it names, the
status labels inside them, and every problem code it answers with."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser

from common.api.errors import ErrorCode
from common.development.testing import error_texts_not_in_portuguese
from orders.errors import OrderErrorCode
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory
from orders.tests.test_orders_api import ORDERS, _order

pytestmark = [pytest.mark.django_db, pytest.mark.default_language]


def test_every_code_reads_in_portuguese():
    assert error_texts_not_in_portuguese([*OrderErrorCode, *ErrorCode]) == {}


def test_a_refused_transition_in_both_languages(admin_api):
    order = _order(admin_api, ClientSnapshotFactory(), (ProductSnapshotFactory(), 1)).json()
    assert admin_api.post(f"{ORDERS}{order['id']}/cancel", {}, format="json").status_code == 200
    pt, en = (
        admin_api.post(
            f"{ORDERS}{order['id']}/finish", {}, format="json", HTTP_ACCEPT_LANGUAGE=language
        ).json()
        for language in ("pt-BR", "en")
    )
    assert pt["code"] == en["code"] == "order_not_open"
    assert pt["order_status"] == en["order_status"] == "cancelled"
    assert (pt["title"], pt["detail"]) == (
        "Pedido não está aberto",
        f"O pedido nº {order['number']} está Cancelado; só pedidos abertos podem mudar.",
    )
    assert (en["title"], en["detail"]) == (
        "Order not open",
        f"Order #{order['number']} is Cancelled; only open orders change.",
    )


def test_an_inactive_product_is_named_in_both_languages(admin_api):
    client = ClientSnapshotFactory()
    stale = ProductSnapshotFactory(is_active=False, sku="OLD")
    pt, en = (
        admin_api.post(
            ORDERS,
            {"client_id": str(client.pk), "items": [{"product_id": str(stale.pk), "quantity": 1}]},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        ).json()
        for language in ("pt-BR", "en")
    )
    assert pt["code"] == en["code"] == "invalid_reference"
    assert (pt["title"], pt["detail"]) == (
        "Entidade não processável",
        "A requisição se refere a algo que não pode ser usado.",
    )
    assert pt["errors"] == {"items.0.product_id": ["O produto OLD está inativo."]}
    assert en["errors"] == {"items.0.product_id": ["Product OLD is inactive."]}


def _column_headers(page):
    return [
        " ".join(header.split())
        for header in re.findall(r'<th class="column-\w+[^"]*">(.*?)</th>', page, re.S)
    ]


def test_the_admin_speaks_the_readers_language(admin_api):
    order = _order(admin_api, ClientSnapshotFactory(), (ProductSnapshotFactory(), 1)).json()
    assert admin_api.post(f"{ORDERS}{order['id']}/finish", {}, format="json").status_code == 200
    browser = Browser()
    browser.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    finished = f"/admin/orders/order/{order['id']}/change/"
    pt = browser.get(finished, HTTP_ACCEPT_LANGUAGE="pt-BR").content.decode()
    en = browser.get(finished, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The finished order's lines are read-only; their first column is the product.
    assert "Produto" in _column_headers(pt) and "Product" not in _column_headers(pt)
    assert "Product" in _column_headers(en)
    for sidebar in ("Eventos com falha", "Eventos recebidos", "Eventos de saída"):
        assert f">{sidebar}</a>" in pt
    for sidebar in ("Dead letters", "Inbox events", "Outbox events"):
        assert f">{sidebar}</a>" in en
