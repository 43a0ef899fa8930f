"""The browsable API for a person signed in to products_api's admin."""

import uuid

import pytest

from common.testing import HTML, walk_as_html
from products.models import Product, StockMovement
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


@pytest.fixture(autouse=True)
def _ready_without_a_broker(settings):
    # /readyz answers 503 while the broker is down, as it should; not what is walked here.
    settings.READINESS_CHECKS = ["common.health.database_check"]


def test_every_url_renders_as_html_for_a_signed_in_person(admin_signed_in):
    product = ProductFactory()
    browser = admin_signed_in(is_superuser=True)
    answers = walk_as_html(
        browser,
        {"product-detail": {"pk": product.pk}, "stock-movement-list": {"pk": product.pk}},
    )
    assert {path: answer for path, answer in answers.items() if answer[0] >= 500} == {}
    assert answers[f"{PRODUCTS}{product.pk}/"] == (200, "text/html; charset=utf-8")
    assert answers[f"{PRODUCTS}{product.pk}/stock-movements/"][0] == 200
    assert answers[f"{PRODUCTS}reorder"] == (200, "text/html; charset=utf-8")


def test_the_list_shows_products_with_their_filters(admin_signed_in):
    ProductFactory(name="Café Torrado 500 g", stock_quantity=1)
    browser = admin_signed_in("products.view_product")
    page = browser.get(f"{PRODUCTS}?low_stock=true", **HTML)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Café Torrado 500 g" in html
    assert 'name="low_stock"' in html and 'name="min_price"' in html
    assert "<form" in html and 'name="sku"' not in html  # no add form without the code


def test_the_html_form_creates_an_active_product(admin_signed_in):
    browser = admin_signed_in("products.view_product", "products.add_product")
    form = browser.get(PRODUCTS, **HTML).content.decode()
    assert 'name="is_active" value="true" checked' in form
    created = browser.post(
        PRODUCTS,
        {
            "sku": "caf-500",
            "name": "Café",
            "price": "19.90",
            "max_quantity": "50",
            "stock_quantity": "5",
            "is_active": "true",
        },
        **HTML,
    )
    assert created.status_code == 201, created.content.decode()[-2000:]
    product = Product.objects.get()
    assert (product.sku, product.is_active, product.stock_quantity) == ("CAF-500", True, 5)


def test_a_stock_movement_from_the_form_is_the_signed_in_users_api_account(admin_signed_in):
    product = ProductFactory(stock_quantity=10)
    ana = uuid.uuid4()
    browser = admin_signed_in(
        "products.view_stockmovement", "products.add_stockmovement", user_id=ana
    )
    path = f"{PRODUCTS}{product.pk}/stock-movements/"
    page = browser.get(path, **HTML).content.decode()
    assert 'name="kind"' in page and 'name="reason"' in page
    moved = browser.post(path, {"kind": "out", "quantity": "3", "reason": "Venda balcão"}, **HTML)
    assert moved.status_code == 201, moved.content.decode()[-2000:]
    movement = StockMovement.objects.filter(kind="out").get()
    assert (movement.created_by, movement.created_by_username) == (str(ana), "ana")
    refused = browser.post(path, {"kind": "out", "quantity": "30", "reason": "Venda"}, **HTML)
    assert refused.status_code == 409
    assert refused["Content-Type"] == "text/html; charset=utf-8"
    assert "409 Conflict" in refused.content.decode()


def test_the_edit_form_starts_from_the_product_as_shown(admin_signed_in):
    product = ProductFactory(name="Café", description="Torrado")
    browser = admin_signed_in("products.view_product", "products.change_product")
    page = browser.get(f"{PRODUCTS}{product.pk}/", **HTML)
    assert page.status_code == 200
    assert 'value="Café"' in page.context["put_form"]
    assert '"price": "19.90"' in page.context["raw_data_put_or_patch_form"]["_content"].initial
