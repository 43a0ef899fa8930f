"""GET /api/v1/: every endpoint of clients_api, for any signed-in caller; 401 without a token."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_root_lists_every_endpoint_for_any_authenticated_caller(client_with, api_client):
    answer = client_with().get("/api/v1/")
    assert answer.status_code == 200
    assert answer.json() == {
        "client-list": "http://testserver/api/v1/clients/",
        "client-detail": "http://testserver/api/v1/clients/{pk}/",
        "address-list": "http://testserver/api/v1/clients/{pk}/addresses/",
        "address-detail": "http://testserver/api/v1/clients/{pk}/addresses/{aid}/",
    }
    refused = api_client.get("/api/v1/")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
