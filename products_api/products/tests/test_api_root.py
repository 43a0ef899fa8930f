"""GET /api/v1/: every endpoint of products_api, for any signed-in caller; 401 without a token."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_root_lists_every_endpoint_for_any_authenticated_caller(client_with, api_client):
    answer = client_with().get("/api/v1/")
    assert answer.status_code == 200
    assert answer.json() == {
        "product-list": "http://testserver/api/v1/products/",
        "product-reorder": "http://testserver/api/v1/products/reorder",
        "product-detail": "http://testserver/api/v1/products/{pk}/",
        "stock-movement-list": "http://testserver/api/v1/products/{pk}/stock-movements/",
    }
    refused = api_client.get("/api/v1/")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"


def test_the_root_is_a_page_for_a_person_signed_in_to_the_admin(admin_signed_in):
    page = admin_signed_in().get("/api/v1/", HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert 'href="http://testserver/api/v1/products/"' in page.content.decode()
