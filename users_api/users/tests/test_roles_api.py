"""Roles (named sets of codes) and the permission catalogue."""

import pytest

from users.models import Permission, Role
from users.permission_catalogue import CATALOGUE
from users.services import permission_catalogue_sync
from users.tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = "/api/v1/roles/"


def test_create_role_with_codes(client_with):
    client = client_with(superuser=True)
    response = client.post(
        ROLES,
        {
            "name": "Vendas",
            "description": "Sales desk",
            "permissions": ["orders.add_order", "clients.view_client"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["permissions"] == ["clients.view_client", "orders.add_order"]
    assert body["version"] == 1
    assert response["Location"] == f"{ROLES}{body['id']}/"


def test_role_names_are_unique_case_insensitively(client_with):
    client = client_with(superuser=True)
    RoleFactory(name="Estoque")
    response = client.post(ROLES, {"name": "ESTOQUE"}, format="json")
    assert response.status_code == 400
    assert "already exists" in response.json()["errors"]["name"][0]


def test_role_codes_must_exist_and_be_held_by_the_author(client_with):
    client = client_with("users.add_role", "clients.view_client")
    unknown = client.post(ROLES, {"name": "x", "permissions": ["nope.view_nope"]}, format="json")
    assert unknown.status_code == 400
    assert "nope.view_nope" in unknown.json()["errors"]["permissions"][0]
    escalation = client.post(
        ROLES, {"name": "x", "permissions": ["users.change_user"]}, format="json"
    )
    assert escalation.status_code == 403
    assert escalation.json()["permissions"] == ["users.change_user"]
    ok = client.post(ROLES, {"name": "x", "permissions": ["clients.view_client"]}, format="json")
    assert ok.status_code == 201


def test_nobody_changes_a_role_by_codes_they_do_not_hold(client_with):
    client = client_with("users.change_role", "users.delete_role", "clients.view_client")
    role = RoleFactory(codes=["clients.view_client", "products.add_product"])
    url = f"{ROLES}{role.pk}/"
    for method, body in [
        (client.patch, {"permissions": ["clients.view_client"]}),  # removes products.add_product
        (client.put, {"name": "Cut", "permissions": []}),
        (client.patch, {"permissions": ["clients.view_client", "orders.add_order"]}),
    ]:
        refused = method(url, body, format="json")
        assert refused.status_code == 403, body
        assert refused.json()["code"] == "grant_exceeds_own_permissions"
    refused = client.delete(url)
    assert refused.status_code == 403
    assert refused.json()["permissions"] == ["products.add_product"]
    role.refresh_from_db()
    assert role.version == 1
    assert set(role.permissions.values_list("code", flat=True)) == {
        "clients.view_client",
        "products.add_product",
    }
    # Changes within the actor's codes, and anything by a superuser, go through.
    assert client.patch(url, {"description": "renamed only"}, format="json").status_code == 200
    assert client.patch(url, {"permissions": ["products.add_product"]}, format="json").json()[
        "permissions"
    ] == ["products.add_product"]
    own = RoleFactory(codes=["clients.view_client"])
    assert client.delete(f"{ROLES}{own.pk}/").status_code == 204
    root = client_with(superuser=True)
    assert root.patch(url, {"permissions": []}, format="json").json()["permissions"] == []
    assert root.delete(url).status_code == 204


def test_put_patch_and_delete_role(client_with):
    client = client_with(superuser=True)
    role = RoleFactory(codes=["clients.view_client"])
    url = f"{ROLES}{role.pk}/"
    etag = client.get(url)["ETag"]
    put = client.put(
        url,
        {"name": "Renamed", "permissions": ["orders.view_order"]},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert put.status_code == 200
    assert put.json()["permissions"] == ["orders.view_order"]
    assert put.json()["description"] == ""  # PUT replaces
    patch = client.patch(url, {"description": "kept"}, format="json")
    assert patch.json()["permissions"] == ["orders.view_order"]  # PATCH keeps
    stale = client.delete(url, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert client.delete(url).status_code == 204
    assert not Role.objects.filter(pk=role.pk).exists()
    assert client.get(url).status_code == 404


def test_put_needs_the_name(client_with):
    client = client_with(superuser=True)
    role = RoleFactory()
    response = client.put(f"{ROLES}{role.pk}/", {"description": "x"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_deleting_a_role_removes_its_codes_from_users(client_with):
    client = client_with(superuser=True)
    role = RoleFactory(codes=["clients.view_client"])
    user = UserFactory()
    user.roles.add(role)
    client.delete(f"{ROLES}{role.pk}/")
    assert client.get(f"/api/v1/users/{user.pk}/").json()["effective_permissions"] == []


def test_role_list_query_count_is_flat(client_with, django_assert_num_queries):
    client = client_with("users.view_role")
    for _ in range(15):
        RoleFactory(codes=["clients.view_client", "orders.view_order"])
    # the caller's account is active, count, page, codes
    with django_assert_num_queries(4):
        client.get(f"{ROLES}?limit=2")
    with django_assert_num_queries(4):
        assert len(client.get(f"{ROLES}?limit=15").json()["results"]) == 15


def test_catalogue_lists_every_code_of_every_service(client_with):
    client = client_with("users.view_permission")
    body = client.get("/api/v1/permissions/?limit=200").json()
    codes = [item["code"] for item in body["results"]]
    assert codes == sorted(CATALOGUE)
    assert {item["service"] for item in body["results"]} == {
        "users",
        "clients",
        "products",
        "orders",
    }
    assert "clients.view_client" in codes and "products.add_stockmovement" in codes
    only_orders = client.get("/api/v1/permissions/?service=orders").json()
    assert all(item["code"].startswith("orders.") for item in only_orders["results"])


def test_catalogue_query_count_does_not_grow_with_the_page(client_with, django_assert_num_queries):
    client = client_with("users.view_permission")
    # the caller's account is active, count, page
    with django_assert_num_queries(3):
        assert len(client.get("/api/v1/permissions/?limit=2").json()["results"]) == 2
    with django_assert_num_queries(3):
        body = client.get("/api/v1/permissions/?limit=200").json()
    assert len(body["results"]) == len(CATALOGUE)


def test_catalogue_sync_adds_updates_and_removes(db):
    Permission.objects.filter(code="clients.view_client").delete()
    Permission.objects.filter(code="orders.view_order").update(description="stale")
    Permission.objects.create(code="legacy.view_thing", service="legacy", description="gone")
    permission_catalogue_sync()
    assert Permission.objects.filter(code="clients.view_client").exists()
    assert (
        Permission.objects.get(code="orders.view_order").description
        == CATALOGUE["orders.view_order"]
    )
    assert not Permission.objects.filter(code="legacy.view_thing").exists()


def test_role_create_honours_idempotency_key(client_with):
    client = client_with(superuser=True)
    for _ in range(2):
        response = client.post(
            ROLES, {"name": "Caixa"}, format="json", HTTP_IDEMPOTENCY_KEY="role-1"
        )
        assert response.status_code == 201
    assert Role.objects.filter(name="Caixa").count() == 1
