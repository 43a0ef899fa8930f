"""The product form a clerk uses: prices typed the Brazilian way in the admin and the
browsable API's HTML form (8,99 is R$ 8,99, never R$ 899,00; what reads two ways is
refused on the form; JSON keeps the dot), and the initial stock in the admin's add form."""

from decimal import Decimal

import pytest

from common.development.testing import HTML
from common.events.models import OutboxEvent
from products.models import Product, StockMovement
from products.tests.factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.default_language]

ADD = "/admin/products/product/add/"
PRODUCTS = "/api/v1/products/"
PT_BR_HTML = {**HTML, "HTTP_ACCEPT_LANGUAGE": "pt-br"}


def _admin_form(price):
    return {
        "sku": "cafe-500",
        "name": "Café 500 g",
        "description": "",
        "price": price,
        "is_active": "on",
        "min_quantity": "0",
        "max_quantity": "50",
        "initial_stock": "0",
    }


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("8,99", "8.99"), ("1.234,56", "1234.56"), ("8.99", "8.99"), ("1.234.567", "1234567.00")],
)
def test_the_admin_stores_the_price_as_typed(admin_signed_in, typed, stored):
    clerk = admin_signed_in("products.view_product", "products.add_product")
    added = clerk.post(ADD, _admin_form(typed))
    assert added.status_code == 302, added.content.decode()[-1500:]
    assert Product.objects.get().price == Decimal(stored)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.234", "“1.234” pode ser lido de duas formas"),
        ("1,234.56", "Digite um número como 1.234,56 ou 8,99."),
        ("8,999", "Certifique-se de que não tenha mais de 2 casas decimais."),
    ],
)
def test_the_admin_refuses_what_it_cannot_read_on_the_form(admin_signed_in, typed, message):
    clerk = admin_signed_in("products.view_product", "products.add_product")
    refused = clerk.post(ADD, _admin_form(typed))
    assert refused.status_code == 200
    assert message in refused.content.decode()
    assert f'value="{typed}"' in refused.content.decode()  # what was typed, to correct it
    assert not Product.objects.exists()


def test_the_admin_shows_the_price_localized_in_a_text_box(admin_signed_in):
    product = ProductFactory(price=Decimal("1234.50"))
    clerk = admin_signed_in("products.view_product", "products.change_product")
    page = clerk.get(f"/admin/products/product/{product.pk}/change/").content.decode()
    assert 'name="price" value="1234,50"' in page
    assert 'inputmode="decimal"' in page and 'type="number" name="price"' not in page


@pytest.mark.parametrize(("typed", "stored"), [("8,99", "8.99"), ("1.234,56", "1234.56")])
def test_the_browsable_html_form_takes_the_comma(admin_signed_in, typed, stored):
    browser = admin_signed_in("products.view_product", "products.add_product")
    form = {"sku": "caf-500", "name": "Café", "price": typed, "max_quantity": "50"}
    created = browser.post(PRODUCTS, {**form, "is_active": "true"}, **PT_BR_HTML)
    assert created.status_code == 201, created.content.decode()[-2000:]
    assert Product.objects.get().price == Decimal(stored)


def test_the_browsable_html_form_refuses_an_ambiguous_price_beside_the_field(admin_signed_in):
    browser = admin_signed_in("products.view_product", "products.add_product")
    form = {"sku": "caf-500", "name": "Café", "price": "1.234", "max_quantity": "50"}
    refused = browser.post(PRODUCTS, form, **PT_BR_HTML)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "“1.234” pode ser lido de duas formas" in html
    assert 'inputmode="decimal"' in html and 'value="1.234"' in html
    assert not Product.objects.exists()


def test_the_browsable_edit_form_shows_the_price_localized(admin_signed_in):
    product = ProductFactory(price=Decimal("19.90"))
    browser = admin_signed_in("products.view_product", "products.change_product")
    page = browser.get(f"{PRODUCTS}{product.pk}/", **PT_BR_HTML)
    assert (
        'name="price" class="form-control" type="text" inputmode="decimal"'
        in (page.context["put_form"])
    )
    assert 'value="19,90"' in page.context["put_form"]
    # The raw-data form is JSON: the dot stays.
    assert '"price": "19.90"' in page.context["raw_data_put_or_patch_form"]["_content"].initial


def test_json_takes_the_dot_and_refuses_the_comma(admin_api):
    body = {"sku": "X1", "name": "X", "price": "8,99", "max_quantity": 9}
    refused = admin_api.post(PRODUCTS, body, format="json")
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    assert list(refused.json()["errors"]) == ["price"]
    created = admin_api.post(PRODUCTS, {**body, "price": "8.99"}, format="json")
    assert created.status_code == 201 and created.json()["price"] == "8.99"


def test_the_admin_adds_a_product_with_its_initial_stock_as_the_first_movement(
    admin_signed_in,
):
    clerk = admin_signed_in("products.view_product", "products.add_product")
    form = clerk.get(ADD).content.decode()
    assert 'name="initial_stock"' in form and "Estoque inicial" in form
    refused = clerk.post(ADD, {**_admin_form("8,99"), "initial_stock": "-1"})
    assert refused.status_code == 200 and not Product.objects.exists()
    added = clerk.post(ADD, {**_admin_form("8,99"), "initial_stock": "12"})
    assert added.status_code == 302, added.content.decode()[-1500:]
    product = Product.objects.get()
    assert product.stock_quantity == 12
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.quantity, movement.quantity_after) == ("in", 12, 12)
    events = OutboxEvent.objects.filter(aggregate_id=str(product.pk))
    assert [(event.type, event.envelope["data"]["stock_quantity"]) for event in events] == [
        ("products.product.created", 12)
    ]
    change = clerk.get(f"/admin/products/product/{product.pk}/change/").content.decode()
    assert 'name="initial_stock"' not in change  # afterwards stock moves only by movements
