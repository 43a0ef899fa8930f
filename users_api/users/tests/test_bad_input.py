"""Bad input anywhere gets a 4xx problem with field errors; never a 500."""

import json
import uuid

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_with):
    return client_with(superuser=True)


def test_malformed_json_is_a_400_problem(api_client, admin):
    for client, url in (
        (api_client, "/api/v1/auth/token"),
        (admin, "/api/v1/users/"),
        (admin, "/api/v1/roles/"),
    ):
        response = client.post(url, '{"username": "a",', content_type="application/json")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "parse_error"


def test_missing_fields_are_named(api_client):
    response = api_client.post("/api/v1/auth/register", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "email", "password"}


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            "/api/v1/users/",
            {"username": ["x"], "email": "a@b.co", "password": "Sabia-2-Laranjeira"},
            "username",
        ),
        (
            "/api/v1/users/",
            {
                "username": "x",
                "email": "a@b.co",
                "password": "Sabia-2-Laranjeira",
                "is_staff": "sometimes",
            },
            "is_staff",
        ),
        ("/api/v1/roles/", {"name": "r", "permissions": "clients.view_client"}, "permissions"),
        ("/api/v1/roles/", {"name": {"pt": "r"}}, "name"),
        ("/api/v1/roles/", {"name": "x" * 81}, "name"),
    ],
)
def test_wrong_types_are_named(admin, url, body, field):
    response = admin.post(url, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_json_array_body_is_400(admin):
    response = admin.post("/api/v1/roles/", [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_nested_list_errors_are_dotted(admin):
    user = admin.user
    response = admin.put(
        f"/api/v1/users/{user.pk}/roles", {"roles": ["x", str(uuid.uuid4())]}, format="json"
    )
    assert response.status_code == 400
    assert "roles.0" in response.json()["errors"]


def test_ten_megabyte_body_is_413(api_client):
    body = json.dumps({"username": "a" * (10 * 1024 * 1024), "password": "x"})
    response = api_client.post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/users/{id}/",
        "/api/v1/roles/{id}/",
        "/api/v1/users/{id}/roles",
        "/api/v1/users/not-a-uuid/",
        "/api/v1/roles/123/",
    ],
)
def test_unknown_ids_are_404_problems(admin, url):
    url = url.format(id=uuid.uuid4())
    method = admin.put if url.endswith("/roles") else admin.get
    response = method(url, {"roles": []}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_wrong_method_is_405_problem(admin):
    response = admin.put("/api/v1/users/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
