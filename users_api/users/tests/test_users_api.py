"""User management, the caller's own account, and grants of roles and codes."""

import pytest

from users.models import LoginSession, User
from users.tests.factories import PASSWORD, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"
ME = "/api/v1/users/me"


def _detail(user):
    return f"{USERS}{user.pk}/"


# --- me -------------------------------------------------------------------------------


def test_me_shows_and_edits_your_own_profile(client_with):
    client = client_with()
    response = client.get("/api/v1/users/me")
    assert response.status_code == 200
    assert response.json()["username"] == client.user.username
    assert response["ETag"] == f'"{client.user.version}"'
    refused = client.patch(
        "/api/v1/users/me", {"first_name": "Bia", "is_superuser": True}, format="json"
    )
    assert (refused.status_code, list(refused.json()["errors"])) == (400, ["is_superuser"])
    client.user.refresh_from_db()
    assert (client.user.first_name, client.user.is_superuser) == ("Ana", False)  # not yours
    changed = client.patch("/api/v1/users/me", {"first_name": "Bia"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["first_name"] == "Bia"


def test_me_honours_if_match(client_with):
    client = client_with()
    version = client.user.version
    response = client.patch(
        "/api/v1/users/me", {"last_name": "X"}, format="json", HTTP_IF_MATCH=f'"{version - 1}"'
    )
    assert response.status_code == 412


def test_change_password_checks_the_current_one_and_ends_every_login(client_with, api_client):
    client = client_with()
    refresh = api_client.post(
        "/api/v1/auth/token",
        {"username": client.user.username, "password": PASSWORD},
        format="json",
    ).json()["refresh"]
    wrong = client.post(
        "/api/v1/users/me/password",
        {"current_password": "nope", "new_password": "Outra-Senha-42"},
        format="json",
    )
    assert wrong.status_code == 400
    assert "current_password" in wrong.json()["errors"]
    weak = client.post(
        "/api/v1/users/me/password",
        {"current_password": PASSWORD, "new_password": "123"},
        format="json",
    )
    assert weak.status_code == 400
    assert "password" in weak.json()["errors"]
    ok = client.post(
        "/api/v1/users/me/password",
        {"current_password": PASSWORD, "new_password": "Outra-Senha-42"},
        format="json",
    )
    assert ok.status_code == 204
    client.user.refresh_from_db()
    assert client.user.check_password("Outra-Senha-42")
    assert client.user.password.startswith("argon2$argon2id$")
    assert not LoginSession.objects.filter(user=client.user, revoked_at__isnull=True).exists()
    assert (
        api_client.post(
            "/api/v1/auth/token/refresh", {"refresh": refresh}, format="json"
        ).status_code
        == 401
    )


# --- management -----------------------------------------------------------------------


def test_create_user(client_with):
    client = client_with("users.add_user")
    response = client.post(
        USERS,
        {"username": "caio", "email": "caio@example.com", "password": "Sabia-2-Laranjeira"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["is_staff"] is False
    assert User.objects.get(username="caio").check_password("Sabia-2-Laranjeira")


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_only_a_superuser_creates_a_staff_member_or_a_superuser(client_with, flag):
    payload = {
        "username": "caio",
        "email": "caio@example.com",
        "password": "Sabia-2-Laranjeira",
        flag: True,
    }
    refused = client_with("users.add_user").post(USERS, payload, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "superuser_required"
    assert not User.objects.filter(username="caio").exists()
    allowed = client_with(superuser=True).post(USERS, payload, format="json")
    assert allowed.status_code == 201
    assert allowed.json()[flag] is True


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("is_staff", [True, False])
def test_only_a_superuser_changes_is_staff(client_with, whose, is_staff):
    # A staff actor: staff members are not more privileged than they are.
    actor = UserFactory(is_staff=True, grants=["users.change_user", "users.view_user"])
    client = client_with(user=actor)
    target = client.user if whose == "own" else UserFactory()
    User.objects.filter(pk=target.pk).update(is_staff=not is_staff)
    refused = client.patch(_detail(target), {"is_staff": is_staff}, format="json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "superuser_required"
    target.refresh_from_db()
    assert target.is_staff is not is_staff
    # Sending the value it already has is no change, so it is not refused.
    unchanged = client.patch(_detail(target), {"is_staff": not is_staff}, format="json")
    assert unchanged.status_code == 200
    allowed = client_with(superuser=True).patch(
        _detail(target), {"is_staff": is_staff}, format="json"
    )
    assert allowed.status_code == 200
    assert allowed.json()["is_staff"] is is_staff


def test_list_filters_searches_and_orders(client_with):
    client = client_with("users.view_user")
    role = RoleFactory()
    UserFactory(username="zeca", email="zeca@example.com").roles.add(role)
    UserFactory(username="ana-maria", is_active=False)
    body = client.get(f"{USERS}?search=zeca").json()
    assert [u["username"] for u in body["results"]] == ["zeca"]
    body = client.get(f"{USERS}?is_active=false").json()
    assert [u["username"] for u in body["results"]] == ["ana-maria"]
    body = client.get(f"{USERS}?role={role.pk}").json()
    assert [u["username"] for u in body["results"]] == ["zeca"]
    body = client.get(f"{USERS}?ordering=-username").json()
    assert body["results"][0]["username"] == "zeca"
    bad = client.get(f"{USERS}?role=not-a-uuid")
    assert bad.status_code == 400
    assert "role" in bad.json()["errors"]


def test_list_query_count_does_not_grow_with_the_page(client_with, django_assert_num_queries):
    client = client_with("users.view_user")
    role = RoleFactory(codes=["clients.view_client", "orders.view_order"])
    for _ in range(30):
        user = UserFactory(grants=["products.view_product"])
        user.roles.add(role)
    # the caller's account is active, count, page, roles, roles' codes, direct codes
    with django_assert_num_queries(6):
        assert len(client.get(f"{USERS}?limit=2").json()["results"]) == 2
    with django_assert_num_queries(6):
        body = client.get(f"{USERS}?limit=31").json()
    assert len(body["results"]) == 31
    assert body["results"][0]["effective_permissions"]


def test_patch_user_with_if_match(client_with):
    client = client_with("users.view_user", "users.change_user")
    user = UserFactory()
    etag = client.get(_detail(user))["ETag"]
    ok = client.patch(_detail(user), {"first_name": "Rui"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    assert ok["ETag"] != etag
    stale = client.patch(_detail(user), {"first_name": "Zé"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    user.refresh_from_db()
    assert user.first_name == "Rui"


def test_patch_refuses_a_taken_email(client_with):
    client = client_with("users.change_user")
    UserFactory(email="taken@example.com")
    user = UserFactory()
    response = client.patch(_detail(user), {"email": "TAKEN@example.com"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_non_superusers_cannot_touch_superusers(client_with):
    client = client_with("users.change_user", "users.delete_user")
    root = UserFactory(is_superuser=True)
    assert client.patch(_detail(root), {"first_name": "x"}, format="json").status_code == 403
    assert client.delete(_detail(root)).status_code == 403
    plain = UserFactory()
    response = client.patch(_detail(plain), {"is_superuser": True}, format="json")
    assert response.status_code == 403
    plain.refresh_from_db()
    assert plain.is_superuser is False


def test_delete_deactivates_and_ends_logins(client_with, tokens_for, api_client):
    client = client_with("users.delete_user")
    user = UserFactory()
    refresh = tokens_for(user).refresh
    response = client.delete(_detail(user))
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.is_active is False  # kept for history
    assert (
        api_client.post(
            "/api/v1/auth/token/refresh", {"refresh": refresh}, format="json"
        ).status_code
        == 401
    )


def test_a_deactivated_users_access_token_stops_working_here_at_once(client_with):
    target = client_with()
    assert target.patch(ME, {"first_name": "Ana"}, format="json").status_code == 200
    assert client_with("users.delete_user").delete(_detail(target.user)).status_code == 204
    # The access token is still unexpired and validly signed, but the account is inactive.
    for response in (
        target.get(ME),
        target.patch(ME, {"first_name": "Still here"}, format="json"),
        target.post(
            f"{ME}/password",
            {"current_password": PASSWORD, "new_password": "Nova-Senha-42x"},
            format="json",
        ),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "user_inactive"
    target.user.refresh_from_db()
    assert target.user.first_name == "Ana" and target.user.check_password(PASSWORD)


def test_you_cannot_deactivate_yourself(client_with):
    client = client_with("users.delete_user")
    response = client.delete(_detail(client.user))
    assert response.status_code == 409
    assert response.json()["code"] == "cannot_deactivate_self"


# --- grants ---------------------------------------------------------------------------


def test_set_roles_and_permissions(client_with):
    client = client_with(superuser=True)
    user = UserFactory()
    role = RoleFactory(codes=["clients.view_client"])
    response = client.put(f"{_detail(user)}roles", {"roles": [str(role.pk)]}, format="json")
    assert response.status_code == 200
    assert [r["name"] for r in response.json()["roles"]] == [role.name]
    response = client.put(
        f"{_detail(user)}permissions", {"permissions": ["orders.view_order"]}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["permissions"] == ["orders.view_order"]
    assert body["effective_permissions"] == ["clients.view_client", "orders.view_order"]


def test_unknown_roles_and_codes_are_named(client_with):
    client = client_with(superuser=True)
    user = UserFactory()
    response = client.put(
        f"{_detail(user)}permissions", {"permissions": ["clients.fly_client"]}, format="json"
    )
    assert response.status_code == 400
    assert "clients.fly_client" in response.json()["errors"]["permissions"][0]
    missing = "00000000-0000-0000-0000-000000000000"
    response = client.put(f"{_detail(user)}roles", {"roles": [missing]}, format="json")
    assert response.status_code == 400
    assert missing in response.json()["errors"]["roles"][0]


def test_nobody_grants_codes_they_do_not_hold(client_with):
    client = client_with("users.change_user", "clients.view_client")
    user = UserFactory()
    allowed = client.put(
        f"{_detail(user)}permissions", {"permissions": ["clients.view_client"]}, format="json"
    )
    assert allowed.status_code == 200
    refused = client.put(
        f"{_detail(user)}permissions",
        {"permissions": ["clients.view_client", "orders.cancel_order"]},
        format="json",
    )
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "grant_exceeds_own_permissions"
    assert body["permissions"] == ["orders.cancel_order"]
    strong_role = RoleFactory(codes=["users.add_user"])
    refused = client.put(f"{_detail(user)}roles", {"roles": [str(strong_role.pk)]}, format="json")
    assert refused.status_code == 403
    # Nor to themselves.
    refused = client.put(
        f"{_detail(client.user)}permissions", {"permissions": ["users.add_user"]}, format="json"
    )
    assert refused.status_code == 403


def test_nobody_removes_codes_they_do_not_hold(client_with):
    # From a user within the actor's codes: all its codes are the actor's, so any
    # removal is allowed; a user holding more is refused whole (test_more_privileged).
    client = client_with("users.change_user", "clients.view_client", "products.add_product")
    user = UserFactory(grants=["products.add_product", "clients.view_client"])
    allowed = client.put(
        f"{_detail(user)}permissions", {"permissions": ["products.add_product"]}, format="json"
    )
    assert allowed.status_code == 200
    assert allowed.json()["permissions"] == ["products.add_product"]
    weaker = client_with("users.change_user", "clients.view_client")
    refused = weaker.put(f"{_detail(user)}permissions", {"permissions": []}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "more_privileged_user"
    assert refused.json()["permissions"] == ["products.add_product"]
    root = client_with(superuser=True)
    assert (
        root.put(f"{_detail(user)}permissions", {"permissions": []}, format="json").json()[
            "permissions"
        ]
        == []
    )


def test_nobody_adds_or_removes_a_role_whose_codes_they_do_not_all_hold(client_with):
    client = client_with("users.change_user", "clients.view_client")
    strong = RoleFactory(codes=["clients.view_client", "products.add_product"])
    weak = RoleFactory(codes=["clients.view_client"])
    user = UserFactory()
    refused = client.put(f"{_detail(user)}roles", {"roles": [str(strong.pk)]}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "grant_exceeds_own_permissions"
    assert refused.json()["permissions"] == ["products.add_product"]
    assert not user.roles.exists()
    allowed = client.put(f"{_detail(user)}roles", {"roles": [str(weak.pk)]}, format="json")
    assert [role["id"] for role in allowed.json()["roles"]] == [str(weak.pk)]
    # Holding the strong role, the user holds a code the actor lacks: no removing it.
    user.roles.add(strong)
    refused = client.put(f"{_detail(user)}roles", {"roles": [str(weak.pk)]}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "more_privileged_user"
    assert set(user.roles.all()) == {strong, weak}
    root = client_with(superuser=True)
    assert root.put(f"{_detail(user)}roles", {"roles": []}, format="json").status_code == 200
    assert not user.roles.exists()
