"""GET /api/v1/: every endpoint of orders_api, for any signed-in caller; 401 without a token."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_root_lists_every_endpoint_for_any_authenticated_caller(client_with, api_client):
    answer = client_with().get("/api/v1/")
    assert answer.status_code == 200
    assert answer.json() == {
        "order-list": "http://testserver/api/v1/orders/",
        "order-detail": "http://testserver/api/v1/orders/{pk}/",
        "order-item-list": "http://testserver/api/v1/orders/{pk}/items/",
        "order-item-detail": "http://testserver/api/v1/orders/{pk}/items/{iid}/",
        "order-finish": "http://testserver/api/v1/orders/{pk}/finish",
        "order-cancel": "http://testserver/api/v1/orders/{pk}/cancel",
        "client-snapshot-list": "http://testserver/api/v1/client-snapshots/",
        "client-snapshot-detail": "http://testserver/api/v1/client-snapshots/{pk}/",
        "product-snapshot-list": "http://testserver/api/v1/product-snapshots/",
        "product-snapshot-detail": "http://testserver/api/v1/product-snapshots/{pk}/",
    }
    refused = api_client.get("/api/v1/")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
