"""The sales panel, orders_api's admin home (orders.panel, orders.selectors): its figures,
counted in São Paulo days, its charts drawn as SVG, who sees it and what it costs."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.auth.actors import Actor
from common.events.models import OutboxEvent
from orders import selectors, services
from orders.models import Order
from orders.selectors import PanelDays
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
ACTOR = Actor("u1", "someone")
#: The panel's "now": noon of 10 March 2026 in São Paulo (15:00 UTC).
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=SAO_PAULO)


def local(day, hour, minute=0, month=3):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SAO_PAULO)


def _order(*lines, placed, finished=None, cancelled=False):
    """An order of ``lines`` ((product, quantity) pairs) placed at ``placed`` and, given
    ``finished``, finished then, through the services; the timestamps are then moved to
    the moments the test needs (the services stamp the real time)."""
    client = ClientSnapshotFactory()
    order = services.order_create(
        actor=ACTOR,
        client_id=client.pk,
        items=[services.ItemRequest(product.pk, quantity) for product, quantity in lines],
    )
    if finished:
        services.order_finish(order_id=order.pk, actor=ACTOR, expected_version=None)
        if cancelled:  # products_api refused its stock, and it was cancelled
            services.orders_stock_answered(
                answers=[services.StockAnswer(order.pk, Order.StockStatus.REFUSED, None)]
            )
            services.order_cancel(order_id=order.pk, actor=ACTOR, expected_version=None)
    Order.objects.filter(pk=order.pk).update(created_at=placed, finished_at=finished)
    return Order.objects.get(pk=order.pk)


def _product(price):
    return ProductSnapshotFactory(price=Decimal(price))


def test_finishing_an_order_stamps_when_it_was_finished():
    order = _order((_product("5.00"), 1), placed=NOW)
    assert order.finished_at is None
    before = dt.datetime.now(dt.UTC)
    finished = services.order_finish(order_id=order.pk, actor=ACTOR, expected_version=None)
    assert before <= finished.finished_at <= dt.datetime.now(dt.UTC)
    assert Order.objects.get(pk=order.pk).finished_at == finished.finished_at


def test_the_days_are_sao_paulos():
    days = PanelDays.at(dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.UTC))  # 9 March, 23:30 there
    assert days.today == local(9, 0)
    assert days.tomorrow == local(10, 0)
    assert days.month == local(1, 0)
    assert days.first == local(8, 0, month=2)  # 30 days, today included
    assert len(days.dates()) == 30 and days.dates()[-1] == dt.date(2026, 3, 9)


def test_an_order_at_23_30_and_one_at_00_30_land_on_their_own_days():
    late, early = _product("10.00"), _product("1.00")
    _order((late, 1), placed=local(9, 23, 30), finished=local(9, 23, 30))
    _order((early, 2), placed=local(10, 0, 30), finished=local(10, 0, 30))
    panel = selectors.sales_panel(now=NOW)
    revenue = dict(panel.revenue_by_day)
    assert revenue[dt.date(2026, 3, 9)] == Decimal("10.00")
    assert revenue[dt.date(2026, 3, 10)] == Decimal("2.00")
    assert (panel.today.placed, panel.today.finished, panel.today.revenue) == (
        1,
        1,
        Decimal("2.00"),
    )
    assert (panel.month.placed, panel.month.finished, panel.month.revenue) == (
        2,
        2,
        Decimal("12.00"),
    )


def test_the_month_begins_at_local_midnight_of_its_first_day():
    product = _product("7.00")
    _order((product, 1), placed=local(28, 23, 30, month=2), finished=local(28, 23, 30, month=2))
    _order((product, 1), placed=local(1, 0, 30), finished=local(1, 0, 30))
    panel = selectors.sales_panel(now=NOW)
    assert (panel.month.placed, panel.month.revenue) == (1, Decimal("7.00"))
    revenue = dict(panel.revenue_by_day)
    assert revenue[dt.date(2026, 2, 28)] == revenue[dt.date(2026, 3, 1)] == Decimal("7.00")


def test_revenue_counts_finished_orders_only_and_the_average_ticket_divides_it():
    product = _product("10.00")
    _order((product, 1), placed=local(10, 9), finished=local(10, 10))
    _order((product, 2), placed=local(10, 9), finished=local(10, 11))
    _order((product, 5), placed=local(10, 9))  # open: placed, no revenue
    _order((product, 7), placed=local(10, 9), finished=local(10, 11), cancelled=True)
    today, month = selectors.sales_periods(days=PanelDays.at(NOW))
    assert (today.placed, today.finished, today.revenue) == (4, 2, Decimal("30.00"))
    assert today.average_ticket == Decimal("15.00")
    assert month == today


def test_the_average_ticket_of_a_period_without_sales_is_none_and_rounds_to_cents():
    assert selectors.Period(placed=3, finished=0, revenue=Decimal("0.00")).average_ticket is None
    assert selectors.Period(1, 3, Decimal("10.00")).average_ticket == Decimal("3.33")


def test_orders_by_status_counts_the_orders_placed_in_the_panels_days():
    product = _product("3.00")
    _order((product, 1), placed=local(10, 8))
    _order((product, 1), placed=local(9, 8), finished=local(9, 9))
    _order((product, 1), placed=local(9, 8), finished=local(9, 9), cancelled=True)
    _order((product, 1), placed=local(8, 23, month=2))  # 31 days ago: not counted
    assert selectors.orders_by_status(days=PanelDays.at(NOW)) == [
        ("open", 1),
        ("finished", 1),
        ("cancelled", 1),
    ]


def test_the_top_products_are_ranked_by_quantity_sold_in_finished_orders():
    products = [_product("1.00") for _ in range(12)]
    for rank, product in enumerate(products):  # product n sells 12 - n units
        _order((product, 12 - rank), placed=local(9, 8), finished=local(9, 9))
    _order((products[11], 50), placed=local(9, 8))  # open: not sold yet
    _order((products[11], 60), placed=local(9, 8), finished=local(9, 9), cancelled=True)
    _order((products[11], 70), placed=local(1, 8, month=1), finished=local(1, 9, month=1))
    top = selectors.top_products(days=PanelDays.at(NOW))
    assert [product.product_id for product in top] == [product.pk for product in products[:10]]
    assert (top[0].sku, top[0].quantity, top[0].revenue) == (
        products[0].sku,
        12,
        Decimal("12.00"),
    )


def test_the_open_orders_come_oldest_first():
    product = _product("2.00")
    newer = _order((product, 1), placed=local(9, 8))
    older = _order((product, 1), placed=local(2, 8))
    _order((product, 1), placed=local(1, 8), finished=local(1, 9))
    assert selectors.open_orders_oldest_first() == [older, newer]
    assert selectors.open_orders_oldest_first(limit=1) == [older]


def _orders(count):
    for index in range(count):
        product = _product("1234.56")
        _order((product, 1), placed=local(10, 1), finished=local(10, 2) if index % 2 else None)


def _queries(browser):
    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/admin/")
    assert response.status_code == 200
    return response, len(queries)


def test_the_panels_queries_do_not_grow_with_the_orders(admin_signed_in):
    viewer = admin_signed_in("orders.view_order")
    _orders(1)
    _, few = _queries(viewer)
    _orders(25)
    _, many = _queries(viewer)
    assert few == many


def test_the_panel_costs_its_six_figures_on_top_of_the_usual_home(
    admin_signed_in, django_assert_num_queries
):
    _orders(12)
    home = admin_signed_in("clients.view_client", username="bia")  # sees no panel
    _, usual = _queries(home)
    viewer = admin_signed_in("orders.view_order")
    with django_assert_num_queries(usual + 6):
        assert viewer.get("/admin/").status_code == 200


@pytest.mark.default_language
def test_the_panel_in_portuguese_with_its_charts_and_the_models_below(admin_signed_in):
    product = _product("1234.56")
    waiting = _order((product, 1), placed=dt.datetime.now(SAO_PAULO) - dt.timedelta(days=3))
    finished = _order((product, 2), placed=dt.datetime.now(SAO_PAULO))
    services.order_finish(order_id=finished.pk, actor=ACTOR, expected_version=None)
    response = admin_signed_in("orders.view_order").get("/admin/")
    page = response.content.decode()
    assert "Vendas" in page and "Hoje" in page and "Este mês" in page
    assert "R$\u00a02.469,12" in page  # today's revenue, the Brazilian way
    assert "Ticket médio" in page
    assert page.count('<svg class="chart"') == 3
    assert "<script" not in page.split('id="content"')[1]  # drawn here, nothing to run
    assert f'href="/admin/orders/order/{waiting.pk}/change/">#{waiting.number}</a>' in page
    assert "2 unidades · R$\u00a02.469,12" in page  # the top product, by quantity
    assert 'href="/admin/orders/order/"' in page  # the list of models, below


def test_whoever_may_not_see_orders_gets_the_usual_home(admin_signed_in):
    _orders(1)
    response = admin_signed_in("clients.view_client").get("/admin/")
    assert response.status_code == 200
    assert "panel_template" not in response.context or not response.context["panel_template"]
    assert b'<svg class="chart"' not in response.content


def test_a_superuser_sees_the_panel(admin_signed_in):
    response = admin_signed_in(is_superuser=True).get("/admin/")
    assert response.status_code == 200
    # Without sales: the revenue and status charts, and no top products yet.
    assert response.content.count(b'<svg class="chart"') == 2
    assert b"No finished orders in these days." in response.content


def test_without_signing_in_the_home_asks_to_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_reading_the_panel_records_and_publishes_nothing(admin_signed_in):
    _orders(2)
    recorded = OutboxEvent.objects.count()
    admin_signed_in("orders.view_order").get("/admin/")
    assert OutboxEvent.objects.count() == recorded
