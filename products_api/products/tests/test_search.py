"""?search= and the admin's search as clerks type: a product by its name or SKU, without
accents, in any case (common.localization.search)."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client as Browser

from products import services
from products.models import Product
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


@pytest.fixture
def shelf():
    # SKUs that do not spell the names: only the names can answer the searches below.
    ProductFactory(sku="P-1", name="Açúcar cristal 1 kg")
    ProductFactory(sku="P-2", name="Café torrado 500 g")
    ProductFactory(sku="P-3", name="Pão de forma")


def _skus(api, term):
    response = api.get(PRODUCTS, {"search": term})
    assert response.status_code == 200, response.json()
    return [product["sku"] for product in response.json()["results"]]


@pytest.mark.parametrize("term", ["acucar", "ACUCAR", "Açúcar", "açucar cristal", "p-1"])
def test_the_api_finds_a_product_without_accents_in_any_case(admin_api, shelf, term):
    assert _skus(admin_api, term) == ["P-1"]


def test_a_term_with_no_match_finds_nothing_and_each_term_must_match(admin_api, shelf):
    assert _skus(admin_api, "mel") == []
    assert _skus(admin_api, "cafe pao") == []
    assert _skus(admin_api, "pao forma") == ["P-3"]


def test_a_renamed_product_is_found_by_its_new_name(admin_api):
    product = ProductFactory(sku="X-1", name="Feijao")
    body = {"name": "Feijão carioca"}
    response = admin_api.patch(f"{PRODUCTS}{product.pk}/", body, format="json")
    assert response.status_code == 200
    assert _skus(admin_api, "feijao carioca") == ["X-1"]


def test_a_stock_movement_leaves_the_search_text_alone():
    product = ProductFactory(sku="SAL", name="Sal", max_quantity=10)
    Product.objects.filter(pk=product.pk).update(search_text="untouched")
    services.stock_movement_create(
        actor=None, product_id=product.pk, kind="in", quantity=3, reason="compra"
    )
    product.refresh_from_db()
    assert product.stock_quantity == 3 and product.search_text == "untouched"


def test_a_search_costs_no_more_queries_than_a_list(admin_api, django_assert_num_queries):
    for n in range(40):
        ProductFactory(name=f"Açúcar {n:02d}")
    with django_assert_num_queries(2):  # count, page
        body = admin_api.get(PRODUCTS, {"search": "acucar", "limit": 40}).json()
    assert body["count"] == 40 and len(body["results"]) == 40


@pytest.fixture
def browser():
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-Admin-1")
    browser = Browser()
    browser.force_login(user)
    return browser


def test_the_admin_finds_products_and_their_movements_without_accents(browser, shelf):
    page = browser.get("/admin/products/product/", {"q": "acucar"}).content.decode()
    assert "Açúcar cristal" in page and "Café torrado" not in page
    for sku in ("P-1", "P-2"):
        product = Product.objects.get(sku=sku)
        services.stock_movement_create(
            actor=None, product_id=product.pk, kind="in", quantity=1, reason="compra"
        )
    page = browser.get("/admin/products/stockmovement/", {"q": "CAFE torrado"}).content.decode()
    assert "Café torrado" in page and "Açúcar cristal" not in page


def test_the_migration_fills_the_search_text_of_existing_products(shelf):
    Product.objects.update(search_text="")  # as the rows were before the migration
    migration = importlib.import_module("products.migrations.0004_product_search_text")
    migration.Migration.operations[1].code(apps, SimpleNamespace(connection=connection))
    assert dict(Product.objects.values_list("sku", "search_text")) == {
        "P-1": "acucar cristal 1 kg\np-1",
        "P-2": "cafe torrado 500 g\np-2",
        "P-3": "pao de forma\np-3",
    }
