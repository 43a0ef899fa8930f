"""Every users_api endpoint's JSON body, member by member and value by value.

The expected bodies are built here from the database, independently of the
views' serializers, so a change of layout or of how an endpoint loads its rows
cannot change what a client reads without failing here.
"""

import datetime as dt

import pytest

from users.models import Permission, Role, User
from users.tests.factories import PASSWORD, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

USER_MEMBERS = {
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "roles",
    "permissions",
    "effective_permissions",
    "last_login",
    "version",
    "created_at",
    "updated_at",
}
ROLE_MEMBERS = {"id", "name", "description", "permissions", "version", "created_at", "updated_at"}


def _time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _user_body(pk) -> dict:
    user = User.objects.get(pk=pk)
    roles = list(user.roles.order_by("name"))
    direct = sorted(user.permissions.values_list("code", flat=True))
    effective = set(direct) | set(
        Permission.objects.filter(roles__in=roles).values_list("code", flat=True)
    )
    return {
        "id": str(user.pk),
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "roles": [{"id": str(role.pk), "name": role.name} for role in roles],
        "permissions": direct,
        "effective_permissions": sorted(effective),
        "last_login": _time(user.last_login),
        "version": user.version,
        "created_at": _time(user.created_at),
        "updated_at": _time(user.updated_at),
    }


def _role_body(pk) -> dict:
    role = Role.objects.get(pk=pk)
    return {
        "id": str(role.pk),
        "name": role.name,
        "description": role.description,
        "permissions": sorted(role.permissions.values_list("code", flat=True)),
        "version": role.version,
        "created_at": _time(role.created_at),
        "updated_at": _time(role.updated_at),
    }


def _assert_user(response, pk, status=200):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == USER_MEMBERS
    assert body == _user_body(pk)
    assert response["ETag"] == f'"{body["version"]}"'


def _assert_role(response, pk, status=200):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ROLE_MEMBERS
    assert body == _role_body(pk)
    assert response["ETag"] == f'"{body["version"]}"'


@pytest.fixture
def granted_user():
    """A user with two roles (overlapping codes) and direct grants."""
    sales = RoleFactory(name="Vendas", codes=["orders.add_order", "clients.view_client"])
    stock = RoleFactory(name="Estoque", codes=["products.view_product", "clients.view_client"])
    user = UserFactory(grants=["orders.view_order", "clients.view_client"])
    user.roles.set([sales, stock])
    return user


def test_user_bodies(client_with, granted_user):
    client = client_with(superuser=True)
    url = f"/api/v1/users/{granted_user.pk}/"
    _assert_user(client.get(url), granted_user.pk)
    _assert_user(client.patch(url, {"first_name": "Bia"}, format="json"), granted_user.pk)
    sales = Role.objects.get(name="Vendas")
    _assert_user(
        client.put(f"{url}roles", {"roles": [str(sales.pk)]}, format="json"), granted_user.pk
    )
    _assert_user(
        client.put(f"{url}permissions", {"permissions": ["users.view_user"]}, format="json"),
        granted_user.pk,
    )
    created = client.post(
        "/api/v1/users/",
        {"username": "caio", "email": "Caio@Example.com", "password": "Sabia-2-Laranjeira"},
        format="json",
    )
    _assert_user(created, created.json()["id"], status=201)
    assert created["Location"] == f"/api/v1/users/{created.json()['id']}/"
    listed = client.get("/api/v1/users/?ordering=username").json()
    assert set(listed) == {"count", "next", "previous", "results"}
    assert listed["results"] == [
        _user_body(pk) for pk in User.objects.order_by("username").values_list("pk", flat=True)
    ]
    assert client.delete(url).status_code == 204


def test_me_bodies(client_with, tokens_for, granted_user):
    client = client_with(user=granted_user)
    tokens_for(granted_user)  # a login sets last_login
    _assert_user(client.get("/api/v1/users/me"), granted_user.pk)
    _assert_user(
        client.patch("/api/v1/users/me", {"last_name": "Souza"}, format="json"), granted_user.pk
    )


def test_register_body(api_client):
    response = api_client.post(
        "/api/v1/auth/register",
        {"username": "nina", "email": "nina@example.com", "password": "Sabia-2-Laranjeira"},
        format="json",
    )
    _assert_user(response, response.json()["id"], status=201)
    assert response["Location"] == f"/api/v1/users/{response.json()['id']}/"


def test_token_bodies(api_client):
    user = UserFactory()
    pair = api_client.post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert pair.status_code == 200
    assert set(pair.json()) == {"access", "refresh"}
    rotated = api_client.post(
        "/api/v1/auth/token/refresh", {"refresh": pair.json()["refresh"]}, format="json"
    )
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    jwks = api_client.get("/api/v1/auth/jwks").json()
    assert set(jwks) == {"keys"}
    assert {"kty", "kid", "n", "e"} <= set(jwks["keys"][0])


def test_role_bodies(client_with):
    client = client_with(superuser=True)
    RoleFactory(name="Antiga", codes=["orders.view_order"])
    created = client.post(
        "/api/v1/roles/",
        {"name": "Vendas", "description": "d", "permissions": ["orders.add_order"]},
        format="json",
    )
    pk = created.json()["id"]
    _assert_role(created, pk, status=201)
    assert created["Location"] == f"/api/v1/roles/{pk}/"
    url = f"/api/v1/roles/{pk}/"
    _assert_role(client.get(url), pk)
    _assert_role(client.put(url, {"name": "Caixa", "permissions": []}, format="json"), pk)
    _assert_role(
        client.patch(url, {"permissions": ["clients.view_client"]}, format="json"),
        pk,
    )
    listed = client.get("/api/v1/roles/").json()
    assert listed["results"] == [
        _role_body(pk) for pk in Role.objects.order_by("name").values_list("pk", flat=True)
    ]
    assert client.delete(url).status_code == 204


def test_permission_list_body(client_with):
    body = client_with("users.view_permission").get("/api/v1/permissions/?limit=200").json()
    assert body["results"] == [
        {"code": p.code, "service": p.service, "description": p.description}
        for p in Permission.objects.order_by("code")
    ]
