"""The stock panel, products_api's admin home (products.panel, products.selectors): the
stock's value, the products below their minimum and the last movements; who sees it and
what it costs."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.auth.actors import Actor
from common.events.models import OutboxEvent
from products import selectors, services

pytestmark = pytest.mark.django_db

ACTOR = Actor("u1", "estoquista")


def _product(sku, *, price="10.00", stock=0, minimum=0, active=True):
    product = services.product_create(
        actor=ACTOR,
        sku=sku,
        name=f"Produto {sku}",
        price=Decimal(price),
        max_quantity=1000,
        min_quantity=minimum,
        stock_quantity=stock,
    )
    if not active:
        services.product_deactivate(actor=ACTOR, product_id=product.pk, expected_version=None)
    return product


def test_the_stock_value_sums_stock_times_price_over_every_product():
    _product("A", price="1234.56", stock=2)
    _product("B", price="0.10", stock=7)
    _product("C", price="99.00", stock=0)
    _product("D", price="5.00", stock=3, active=False)  # still on the shelf
    figures = selectors.stock_figures()
    assert figures.value == Decimal("2469.12") + Decimal("0.70") + Decimal("15.00")
    assert figures.products == 4


def test_without_products_the_stock_is_worth_nothing():
    assert selectors.stock_figures() == selectors.StockFigures(Decimal("0.00"), 0, 0)


def test_below_minimum_are_the_active_products_at_or_below_it_furthest_first():
    _product("AT", stock=5, minimum=5)  # at: counts
    _product("UNDER", stock=1, minimum=6)  # 5 below
    _product("ABOVE", stock=6, minimum=5)
    _product("GONE", stock=0, minimum=5, active=False)  # no longer sold
    below = selectors.products_below_minimum()
    assert [product.sku for product in below] == ["UNDER", "AT"]
    assert selectors.stock_figures().below_minimum == 2
    assert [product.sku for product in selectors.products_below_minimum(limit=1)] == ["UNDER"]


def test_the_last_movements_come_newest_first():
    product = _product("MOV", stock=5)
    services.stock_movement_create(
        actor=ACTOR, product_id=product.pk, kind="out", quantity=2, reason="venda balcão"
    )
    services.stock_movement_create(
        actor=ACTOR, product_id=product.pk, kind="in", quantity=4, reason="nota 12"
    )
    movements = selectors.recent_movements()
    assert [(m.kind, m.delta, m.quantity_after) for m in movements] == [
        ("in", 4, 7),
        ("out", -2, 3),
        ("in", 5, 5),  # the initial stock
    ]
    assert [m.kind for m in selectors.recent_movements(limit=1)] == ["in"]


def _queries(browser):
    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/admin/")
    assert response.status_code == 200
    return len(queries)


def _products(count, start=0):
    for index in range(start, start + count):
        _product(f"P{index}", stock=index % 3, minimum=1)


def test_the_panels_queries_do_not_grow_with_the_products(admin_signed_in):
    viewer = admin_signed_in("products.view_product")
    _products(1)
    few = _queries(viewer)
    _products(15, start=1)
    assert _queries(viewer) == few


def test_the_panel_costs_its_three_figures_on_top_of_the_usual_home(
    admin_signed_in, django_assert_num_queries
):
    _products(12)
    usual = _queries(admin_signed_in("clients.view_client", username="bia"))
    viewer = admin_signed_in("products.view_product")
    with django_assert_num_queries(usual + 3):
        assert viewer.get("/admin/").status_code == 200


@pytest.mark.default_language
def test_the_panel_in_portuguese_with_the_models_below(admin_signed_in):
    low = _product("FARINHA", price="1234.56", stock=1, minimum=3)
    page = admin_signed_in("products.view_product").get("/admin/").content.decode()
    assert "Valor do estoque" in page and "R$\u00a01.234,56" in page
    assert "Abaixo do mínimo" in page
    filtered = "/admin/products/product/?is_active__exact=1&amp;low_stock=yes"
    assert f'<a href="{filtered}">1</a>' in page
    assert f'href="/admin/products/product/{low.pk}/change/">FARINHA — Produto FARINHA</a>' in page
    assert "Entrada (recebido)" in page and "Estoque inicial" in page  # the movement
    assert "Variação" in page  # the stock's "change", not the admin's "Modificar"
    assert 'href="/admin/products/stockmovement/"' in page  # the list of models, below


def test_whoever_may_not_see_products_gets_the_usual_home(admin_signed_in):
    _products(2)
    response = admin_signed_in("orders.view_order").get("/admin/")
    assert response.status_code == 200
    assert not response.context.get("panel_template")
    assert b'id="panel-title"' not in response.content


def test_a_superuser_sees_the_panel(admin_signed_in):
    response = admin_signed_in(is_superuser=True).get("/admin/")
    assert b'id="panel-title"' in response.content
    assert b"No product is below its minimum." in response.content


def test_without_signing_in_the_home_asks_to_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_reading_the_panel_records_and_publishes_nothing(admin_signed_in):
    _products(2)
    recorded = OutboxEvent.objects.count()
    admin_signed_in("products.view_product").get("/admin/")
    assert OutboxEvent.objects.count() == recorded
