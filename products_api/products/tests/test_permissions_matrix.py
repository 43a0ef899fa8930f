"""Every endpoint, both ways; moving stock is a right of its own."""

import pytest

from common.permission_catalogue import CATALOGUE
from common.testing import PermissionCase as Case
from common.testing import uncovered_routes
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

NEW = {"sku": "NOVO-1", "name": "Novo", "price": "1.00", "max_quantity": 10}

CASES = [
    # the API's root (GET /api/v1/): any authenticated caller
    Case("get", "", None, queries=0),
    Case("get", "products/", "products.view_product", queries=2),  # count, page
    # savepoint, sku taken?, savepoint, insert, outbox, release x2
    Case("post", "products/", "products.add_product", NEW, 201, queries=7),
    Case("get", "products/reorder", "products.view_product", queries=2),  # count, page
    Case("get", "products/<uuid:pk>/", "products.view_product", queries=1),
    # savepoint, lock, sku taken?, savepoint, update, replace a waiting event?, outbox,
    # release x2
    Case(
        "put",
        "products/<uuid:pk>/",
        "products.change_product",
        dict(NEW, sku="OUTRO-1"),
        queries=9,
    ),
    Case("patch", "products/<uuid:pk>/", "products.change_product", {"name": "Outro"}, queries=9),
    # savepoint, lock, update, outbox, release
    Case("delete", "products/<uuid:pk>/", "products.delete_product", None, 204, queries=5),
    # product exists?, count (no movements yet: no page query)
    Case("get", "products/<uuid:pk>/stock-movements/", "products.view_stockmovement", queries=2),
    # savepoint, lock, update, replace a waiting event?, outbox, movement, release
    Case(
        "post",
        "products/<uuid:pk>/stock-movements/",
        "products.add_stockmovement",
        {"kind": "in", "quantity": 1, "reason": "received"},
        201,
        queries=7,
    ),
]


def _url(case):
    product = ProductFactory(stock_quantity=5)
    return "/api/v1/" + case.route.replace("<uuid:pk>", str(product.pk))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_without_a_token_is_401(api_client, case):
    assert getattr(api_client, case.method)(_url(case), case.body, format="json").status_code == 401


@pytest.mark.parametrize("case", [c for c in CASES if c.code], ids=str)
def test_without_the_code_is_403(client_with, case):
    client = client_with(*(code for code in CATALOGUE if code != case.code))
    response = getattr(client, case.method)(_url(case), case.body, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("case", CASES, ids=str)
def test_with_the_code_succeeds(client_with, case, django_assert_max_num_queries):
    assert case.queries is not None, f"{case} has no query budget"
    url, client = _url(case), client_with(case.code)
    with django_assert_max_num_queries(case.queries):
        response = getattr(client, case.method)(url, case.body, format="json")
    assert response.status_code == case.expected, response.content


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_superuser_passes(admin_api, case):
    response = getattr(admin_api, case.method)(_url(case), case.body, format="json")
    assert response.status_code == case.expected, response.content


def test_editing_a_product_does_not_allow_moving_its_stock(client_with):
    client = client_with("products.change_product", "products.view_stockmovement")
    product = ProductFactory(stock_quantity=5)
    response = client.post(
        f"/api/v1/products/{product.pk}/stock-movements/",
        {"kind": "in", "quantity": 1, "reason": "x"},
        format="json",
    )
    assert response.status_code == 403


def test_every_route_is_in_the_matrix():
    assert uncovered_routes(CASES) == []
