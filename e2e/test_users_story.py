"""The users_api story, as a client lives it, against gunicorn on production settings."""

import jwt
import requests
from jwt.algorithms import RSAAlgorithm

from e2e.conftest import ADMIN_PASSWORD

JSON = {"Content-Type": "application/json"}


def _login(url, username, password):
    response = requests.post(
        f"{url}/api/v1/auth/token", json={"username": username, "password": password}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_admin_builds_a_role_and_a_limited_user_logs_in(users_api):
    url = users_api.url
    admin = _login(url, "admin", ADMIN_PASSWORD)
    as_admin = _bearer(admin["access"])

    role = requests.post(
        f"{url}/api/v1/roles/",
        headers=as_admin,
        timeout=10,
        json={"name": "Atendimento", "permissions": ["clients.view_client", "users.view_user"]},
    )
    assert role.status_code == 201, role.text
    user = requests.post(
        f"{url}/api/v1/users/",
        headers=as_admin,
        timeout=10,
        json={"username": "carla", "email": "carla@example.com", "password": "Carla-Senha-2026"},
    )
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]
    granted = requests.put(
        f"{url}/api/v1/users/{user_id}/roles",
        headers=as_admin,
        timeout=10,
        json={"roles": [role.json()["id"]]},
    )
    assert granted.json()["effective_permissions"] == ["clients.view_client", "users.view_user"]

    carla = _login(url, "carla", "Carla-Senha-2026")
    as_carla = _bearer(carla["access"])
    assert requests.get(f"{url}/api/v1/users/", headers=as_carla, timeout=10).status_code == 200
    refused = requests.post(
        f"{url}/api/v1/roles/", headers=as_carla, timeout=10, json={"name": "x"}
    )
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"

    # Another service verifies the token with nothing but the published JWKS.
    (key,) = requests.get(f"{url}/api/v1/auth/jwks", timeout=10).json()["keys"]
    claims = jwt.decode(
        carla["access"],
        RSAAlgorithm.from_jwk(key),
        algorithms=["RS256"],
        audience="sistema-multi-apis",
    )
    assert claims["roles"] == ["Atendimento"]

    rotated = requests.post(
        f"{url}/api/v1/auth/token/refresh", timeout=10, json={"refresh": carla["refresh"]}
    )
    assert rotated.status_code == 200
    replay = requests.post(
        f"{url}/api/v1/auth/token/refresh", timeout=10, json={"refresh": carla["refresh"]}
    )
    assert replay.status_code == 401
    revoked = requests.post(
        f"{url}/api/v1/auth/token/refresh", timeout=10, json={"refresh": rotated.json()["refresh"]}
    )
    assert revoked.status_code == 401

    deactivated = requests.delete(f"{url}/api/v1/users/{user_id}/", headers=as_admin, timeout=10)
    assert deactivated.status_code == 204
    login = requests.post(
        f"{url}/api/v1/auth/token",
        timeout=10,
        json={"username": "carla", "password": "Carla-Senha-2026"},
    )
    assert login.status_code == 401


def test_errors_are_problems_and_nothing_leaks_with_debug_off(users_api):
    url = users_api.url
    malformed = requests.post(f"{url}/api/v1/auth/token", data="{nope", headers=JSON, timeout=10)
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "parse_error"
    huge = requests.post(
        f"{url}/api/v1/auth/register", data="x" * (10 * 1024 * 1024), headers=JSON, timeout=30
    )
    assert huge.status_code == 413
    missing = requests.get(f"{url}/api/v1/nowhere", timeout=10)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert requests.get(f"{url}/api/v1/users/", timeout=10).status_code == 401


def test_docs_admin_and_static_files_are_served(users_api):
    url = users_api.url
    docs = requests.get(f"{url}/api/docs/", timeout=10)
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    schema = requests.get(f"{url}/api/schema/?format=json", timeout=10)
    assert schema.json()["info"]["title"] == "Sistema Multi-APIs — users_api"
    login = requests.get(f"{url}/admin/login/", timeout=10)
    assert login.status_code == 200
    css = requests.get(f"{url}/static/admin/css/base.css", timeout=10)
    assert css.status_code == 200 and len(css.content) > 1000
