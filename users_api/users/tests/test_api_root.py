"""GET /api/v1/: every endpoint of users_api, for any signed-in caller; 401 without a token."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_root_lists_every_endpoint_for_any_authenticated_caller(client_with, api_client):
    answer = client_with().get("/api/v1/")
    assert answer.status_code == 200
    assert answer.json() == {
        "auth-register": "http://testserver/api/v1/auth/register",
        "auth-token": "http://testserver/api/v1/auth/token",
        "auth-token-refresh": "http://testserver/api/v1/auth/token/refresh",
        "auth-logout": "http://testserver/api/v1/auth/logout",
        "auth-jwks": "http://testserver/api/v1/auth/jwks",
        "user-me": "http://testserver/api/v1/users/me",
        "user-me-password": "http://testserver/api/v1/users/me/password",
        "user-list": "http://testserver/api/v1/users/",
        "user-detail": "http://testserver/api/v1/users/{pk}/",
        "user-roles": "http://testserver/api/v1/users/{pk}/roles",
        "user-permissions": "http://testserver/api/v1/users/{pk}/permissions",
        "role-list": "http://testserver/api/v1/roles/",
        "role-detail": "http://testserver/api/v1/roles/{pk}/",
        "permission-list": "http://testserver/api/v1/permissions/",
    }
    refused = api_client.get("/api/v1/")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
