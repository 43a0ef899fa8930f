"""Products: catalogue rules both ways, conventions, lists and filters."""

from decimal import Decimal

import pytest

from products.models import Product, StockMovement
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def _product(**overrides):
    body = {
        "sku": " caf-500g ",
        "name": "Café torrado 500 g",
        "price": "19.90",
        "min_quantity": 5,
        "max_quantity": 200,
    }
    body.update(overrides)
    return body


def test_create_normalizes_the_sku_and_records_the_initial_stock(admin_api):
    response = admin_api.post(PRODUCTS, _product(stock_quantity=30), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sku"] == "CAF-500G"
    assert body["price"] == "19.90"
    assert (body["stock_quantity"], body["low_stock"], body["version"]) == (30, False, 1)
    assert response["Location"] == f"{PRODUCTS}{body['id']}/"
    (movement,) = StockMovement.objects.all()
    assert (movement.kind, movement.quantity, movement.delta) == ("in", 30, 30)
    assert (movement.reason, movement.reason_code, movement.reason_params) == (
        "",
        "initial_stock",
        {},
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"price": "-1.00"}, "price", "greater than or equal to 0"),
        ({"price": "1.999"}, "price", "2 decimal places"),
        ({"price": "abc"}, "price", "valid number"),
        ({"min_quantity": 300}, "min_quantity", "above the maximum"),
        ({"max_quantity": -1}, "max_quantity", "greater than or equal to 0"),
        ({"stock_quantity": 201}, "max_quantity", "below the current stock"),
        ({"stock_quantity": -1}, "stock_quantity", "greater than or equal to 0"),
        ({"sku": ""}, "sku", "blank"),
        ({"name": ""}, "name", "blank"),
    ],
)
def test_bad_products_are_refused_naming_the_field(admin_api, overrides, field, message):
    response = admin_api.post(PRODUCTS, _product(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert message in " ".join(response.json()["errors"][field])
    assert not Product.objects.exists()


def test_sku_is_unique_whatever_the_case(admin_api):
    ProductFactory(sku="CAF-500G")
    response = admin_api.post(PRODUCTS, _product(sku="caf-500g"), format="json")
    assert response.status_code == 400
    assert "already exists" in response.json()["errors"]["sku"][0]


def test_the_database_stands_behind_the_rules(db):
    from django.db import IntegrityError, transaction

    for values in (
        {"price": Decimal("-1")},
        {"min_quantity": 10, "max_quantity": 5},
        {"stock_quantity": 11, "max_quantity": 10},
        {"sku": "lower"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProductFactory(**values)


def test_stock_is_not_writable_through_put_or_patch(admin_api):
    product = ProductFactory(stock_quantity=10)
    url = f"{PRODUCTS}{product.pk}/"
    response = admin_api.patch(url, {"stock_quantity": 99, "name": "Novo"}, format="json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["stock_quantity"])
    response = admin_api.patch(url, {"stock_quantity": 10, "name": "Novo"}, format="json")
    assert response.status_code == 200
    assert response.json()["stock_quantity"] == 10
    assert response.json()["name"] == "Novo"


def test_max_cannot_drop_below_the_stock(admin_api):
    product = ProductFactory(stock_quantity=50)
    response = admin_api.patch(f"{PRODUCTS}{product.pk}/", {"max_quantity": 40}, format="json")
    assert response.status_code == 400
    assert "current stock (50)" in response.json()["errors"]["max_quantity"][0]


def test_put_patch_if_match_and_delete_deactivates(admin_api):
    product = ProductFactory()
    url = f"{PRODUCTS}{product.pk}/"
    etag = admin_api.get(url)["ETag"]
    put = admin_api.put(url, _product(sku=product.sku), format="json", HTTP_IF_MATCH=etag)
    assert put.status_code == 200, put.json()
    assert admin_api.patch(url, {"name": "x"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert admin_api.delete(url).status_code == 204
    assert admin_api.get(url).json()["is_active"] is False


def test_create_honours_idempotency_key(admin_api):
    for _ in range(2):
        response = admin_api.post(
            PRODUCTS, _product(stock_quantity=5), format="json", HTTP_IDEMPOTENCY_KEY="p-1"
        )
        assert response.status_code == 201
    assert Product.objects.count() == 1
    assert StockMovement.objects.count() == 1


def test_list_filters_search_and_ordering(admin_api):
    ProductFactory(
        sku="ARROZ-5KG", name="Arroz 5 kg", price=Decimal("25.00"), stock_quantity=1, min_quantity=3
    )
    ProductFactory(sku="FEIJAO-1KG", name="Feijão 1 kg", price=Decimal("8.50"), stock_quantity=50)
    ProductFactory(sku="OLEO", name="Óleo", price=Decimal("7.00"), is_active=False)

    def skus(query):
        response = admin_api.get(f"{PRODUCTS}{query}")
        assert response.status_code == 200, response.json()
        return [p["sku"] for p in response.json()["results"]]

    assert skus("?low_stock=true") == ["ARROZ-5KG", "OLEO"]
    assert skus("?low_stock=false") == ["FEIJAO-1KG"]
    assert skus("?min_price=8&max_price=20") == ["FEIJAO-1KG"]
    assert skus("?is_active=false") == ["OLEO"]
    assert skus("?search=arroz") == ["ARROZ-5KG"]
    assert skus("?search=feijao-1") == ["FEIJAO-1KG"]
    assert skus("?ordering=-price")[0] == "ARROZ-5KG"
    assert admin_api.get(f"{PRODUCTS}?min_price=cheap").status_code == 400


def test_list_query_count_does_not_grow_with_the_page(admin_api, django_assert_num_queries):
    for _ in range(40):
        ProductFactory()
    with django_assert_num_queries(2):
        admin_api.get(f"{PRODUCTS}?limit=2")
    with django_assert_num_queries(2):
        assert len(admin_api.get(f"{PRODUCTS}?limit=40").json()["results"]) == 40
