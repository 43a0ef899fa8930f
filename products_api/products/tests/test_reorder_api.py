"""GET /api/v1/products/reorder: what to buy (issue #37, item 4)."""

from decimal import Decimal

import pytest

from common.testing import HTML
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

REORDER = "/api/v1/products/reorder"


def _rows(api, **params):
    response = api.get(REORDER, params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def _skus(api, **params):
    return [row["sku"] for row in _rows(api, **params)]


def test_lists_the_active_products_whose_available_is_at_or_below_the_minimum(admin_api):
    ProductFactory(sku="AT-MIN", stock_quantity=5, min_quantity=5)
    ProductFactory(sku="BELOW", stock_quantity=1, min_quantity=5)
    ProductFactory(sku="ABOVE", stock_quantity=6, min_quantity=5)
    # Stock above the minimum, but open orders hold most of it: 2 left to promise.
    ProductFactory(sku="PROMISED", stock_quantity=10, reserved=8, min_quantity=5)
    ProductFactory(sku="HELD-BACK", stock_quantity=10, reserved=4, min_quantity=5)
    ProductFactory(sku="INACTIVE", stock_quantity=0, min_quantity=5, is_active=False)
    assert sorted(_skus(admin_api)) == ["AT-MIN", "BELOW", "PROMISED"]


def test_a_row_carries_what_a_buyer_needs_and_the_suggestion(admin_api):
    product = ProductFactory(
        sku="CAFE", name="Café", stock_quantity=10, reserved=8, min_quantity=5, max_quantity=40
    )
    [row] = _rows(admin_api)
    assert row == {
        "id": str(product.pk),
        "sku": "CAFE",
        "name": "Café",
        "stock_quantity": 10,
        "reserved": 8,
        "available": 2,
        "min_quantity": 5,
        "max_quantity": 40,
        "suggested_quantity": 38,  # max 40 - available 2
        "price": "19.90",
    }


def test_a_product_with_nothing_available_and_no_room_is_listed_with_nothing_to_buy(admin_api):
    # min = max = stock, all of it held: listed (available 0 <= min), nothing fits on the shelf.
    ProductFactory(sku="FULL", stock_quantity=4, reserved=4, min_quantity=4, max_quantity=4)
    [row] = _rows(admin_api)
    assert (row["available"], row["suggested_quantity"]) == (0, 4)
    ProductFactory(sku="EMPTY", stock_quantity=0, min_quantity=0, max_quantity=0)
    assert {row["sku"]: row["suggested_quantity"] for row in _rows(admin_api)} == {
        "FULL": 4,
        "EMPTY": 0,
    }


def test_largest_suggestion_first_then_name(admin_api):
    ProductFactory(sku="B", name="Beta", stock_quantity=0, max_quantity=10)
    ProductFactory(sku="A", name="Alfa", stock_quantity=0, max_quantity=10)
    ProductFactory(sku="C", name="Gama", stock_quantity=1, max_quantity=50)
    assert _skus(admin_api) == ["C", "A", "B"]
    assert _skus(admin_api, ordering="suggested_quantity,-name") == ["B", "A", "C"]
    assert _skus(admin_api, ordering="-available,sku") == ["C", "A", "B"]


def test_searches_name_and_sku_without_accents_and_filters_price_and_low_stock(admin_api):
    ProductFactory(sku="ACU-1", name="Açúcar cristal", stock_quantity=0, price=Decimal("4.50"))
    ProductFactory(sku="CAF-1", name="Café torrado", stock_quantity=0, price=Decimal("18.00"))
    ProductFactory(
        sku="PAO-1", name="Pão de forma", stock_quantity=9, reserved=9, price=Decimal("9.00")
    )
    assert _skus(admin_api, search="acucar") == ["ACU-1"]
    assert _skus(admin_api, search="caf-1") == ["CAF-1"]
    assert sorted(_skus(admin_api, min_price="5", max_price="10")) == ["PAO-1"]
    assert sorted(_skus(admin_api, low_stock="false")) == ["PAO-1"]  # stock 9 > min 2
    assert sorted(_skus(admin_api, low_stock="true")) == ["ACU-1", "CAF-1"]


@pytest.mark.parametrize(
    "query", ["low_stock=maybe", "min_price=lots", "max_price=1e", "ordering=description"]
)
def test_bad_parameters_are_a_400_naming_them(admin_api, query):
    response = admin_api.get(f"{REORDER}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert query.split("=")[0] in response.json()["errors"]


def test_the_list_has_no_is_active_filter_every_row_is_active(admin_api):
    ProductFactory(sku="LOW", stock_quantity=0)
    # Not a parameter of this list: ignored, as any list ignores one it does not take.
    assert _skus(admin_api, is_active="false") == ["LOW"]


def test_pages_like_every_list_and_the_query_count_does_not_grow(
    admin_api, django_assert_num_queries
):
    for n in range(30):
        ProductFactory(name=f"Produto {n:02d}", stock_quantity=0)
    with django_assert_num_queries(2):  # count, page
        small = admin_api.get(REORDER, {"limit": 5}).json()
    with django_assert_num_queries(2):
        large = admin_api.get(REORDER, {"limit": 30}).json()
    assert (small["count"], len(small["results"]), len(large["results"])) == (30, 5, 30)
    assert small["next"].endswith("limit=5&offset=5") and small["previous"] is None


def test_needs_the_products_view_code(client_with, api_client):
    assert api_client.get(REORDER).status_code == 401
    assert client_with("products.view_stockmovement").get(REORDER).status_code == 403
    assert client_with("products.view_product").get(REORDER).status_code == 200


def test_the_browsable_api_shows_it_with_its_filters(admin_signed_in):
    ProductFactory(name="Café Torrado", stock_quantity=0)
    page = admin_signed_in("products.view_product").get(REORDER, **HTML)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Café Torrado" in html and 'name="min_price"' in html


def test_the_schema_documents_it(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/products/reorder"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"search", "ordering", "limit", "offset", "low_stock", "min_price"} <= names
