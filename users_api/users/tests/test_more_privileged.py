"""Nobody manages an account more privileged than their own (issue #35): a user holding
a code the actor lacks, or staff access the actor has not, is refused to the API and
read only in the admin; superusers as before."""

import pytest
from django.test import Client

from users.models import LoginSession, User
from users.tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

MANAGER_CODES = ["users.view_user", "users.change_user", "users.delete_user"]
SALES_CODES = ["clients.view_client", "orders.add_order", "orders.view_order"]


def _detail(user):
    return f"/api/v1/users/{user.pk}/"


def _seller(**fields):
    user = UserFactory(**fields)
    user.roles.add(RoleFactory(name="Vendas", codes=SALES_CODES))
    return user


def _writes(client, target):
    """Every management write on ``target``, as (name, response)."""
    return [
        ("rename", client.patch(_detail(target), {"username": "taken-over"}, format="json")),
        ("email", client.patch(_detail(target), {"email": "me@evil.example"}, format="json")),
        ("roles", client.put(f"{_detail(target)}roles", {"roles": []}, format="json")),
        (
            "permissions",
            client.put(f"{_detail(target)}permissions", {"permissions": []}, format="json"),
        ),
        ("deactivate", client.delete(_detail(target))),
    ]


def test_a_user_holding_codes_the_actor_lacks_is_refused_every_write(client_with, tokens_for):
    client = client_with(*MANAGER_CODES)
    target = _seller(is_staff=True)
    tokens_for(target)
    for name, response in _writes(client, target):
        assert response.status_code == 403, name
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "more_privileged_user", name
    target.refresh_from_db()
    assert target.username != "taken-over" and target.is_active
    assert target.roles.count() == 1
    assert not LoginSession.objects.filter(user=target, revoked_at__isnull=False).exists()


def test_the_refusal_names_the_codes_the_actor_lacks(client_with):
    client = client_with(*MANAGER_CODES, "orders.view_order")
    target = _seller()
    target.permissions.add("users.add_user")
    response = client.patch(_detail(target), {"first_name": "X"}, format="json")
    assert response.status_code == 403
    assert response.json()["permissions"] == [
        "clients.view_client",
        "orders.add_order",
        "users.add_user",
    ]


def test_a_staff_member_is_refused_to_an_actor_without_staff_access(client_with):
    target = UserFactory(is_staff=True)
    refused = client_with(*MANAGER_CODES).delete(_detail(target))
    assert refused.status_code == 403
    assert refused.json()["code"] == "more_privileged_user"
    target.refresh_from_db()
    assert target.is_active
    staff = UserFactory(is_staff=True, grants=MANAGER_CODES)
    allowed = client_with(user=staff).delete(_detail(target))
    assert allowed.status_code == 204
    target.refresh_from_db()
    assert not target.is_active


def test_a_user_within_the_actors_codes_is_managed(client_with):
    client = client_with(*MANAGER_CODES, *SALES_CODES)
    target = _seller()
    for name, response in _writes(client, target):
        assert response.status_code in (200, 204), (name, response.content)
    target.refresh_from_db()
    assert target.username == "taken-over" and not target.is_active


def test_a_superuser_manages_everyone_but_not_as_a_non_superuser(client_with):
    target = _seller(is_staff=True)
    for name, response in _writes(client_with(superuser=True), target):
        assert response.status_code in (200, 204), (name, response.content)
    root = UserFactory(is_superuser=True)
    refused = client_with(*MANAGER_CODES, *SALES_CODES).patch(
        _detail(root), {"first_name": "X"}, format="json"
    )
    assert refused.json()["code"] == "superuser_required"


def test_users_change_their_own_account_within_the_other_rules(client_with):
    client = client_with("users.change_user")
    response = client.patch(_detail(client.user), {"first_name": "Eu"}, format="json")
    assert response.status_code == 200


# --- the admin shares the rule ------------------------------------------------------------


def _admin_page(actor, target):
    client = Client()
    client.force_login(actor)
    return client, client.get(f"/admin/users/user/{target.pk}/change/").content.decode()


def test_the_admin_shows_a_more_privileged_account_read_only_and_changes_nothing():
    staff = UserFactory(is_staff=True, grants=MANAGER_CODES)
    target = _seller(is_staff=True, first_name="Ana")
    client, page = _admin_page(staff, target)
    assert 'name="username"' not in page and 'name="is_active"' not in page
    client.post(
        f"/admin/users/user/{target.pk}/change/",
        {"username": "taken-over", "email": "me@evil.example", "first_name": "X"},
    )
    target.refresh_from_db()
    assert target.username != "taken-over"
    assert target.first_name == "Ana" and target.is_active


def test_the_admin_changes_an_account_within_the_actors_codes():
    staff = UserFactory(is_staff=True, grants=[*MANAGER_CODES, *SALES_CODES])
    target = _seller(first_name="Ana")
    client, page = _admin_page(staff, target)
    assert 'name="username"' in page and 'name="is_active"' in page
    response = client.post(
        f"/admin/users/user/{target.pk}/change/",
        {
            "username": "renamed",
            "email": target.email,
            "first_name": "Bia",
            "last_name": "",
            "roles": [str(role.pk) for role in target.roles.all()],
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.username == "renamed" and target.first_name == "Bia"
    assert not target.is_active  # is_active unticked: deactivated
    assert User.objects.filter(username="renamed").count() == 1


def test_the_refusal_speaks_the_callers_language(client_with):
    target = UserFactory(is_staff=True)
    response = client_with(*MANAGER_CODES).delete(_detail(target), HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert response.json()["detail"] == "Só um membro da equipe pode alterar um membro da equipe."
