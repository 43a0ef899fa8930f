"""A write with a field the endpoint does not take is refused naming it (DESIGN §4), on
every write endpoint (the public ones too); a GET body sent back still passes."""

import pytest

from common.development.testing import unknown_field_answers
from users.models import User
from users.tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"


def test_every_write_endpoint_names_an_unknown_field(client_with):
    admin = client_with(superuser=True)
    answers = unknown_field_answers(admin)
    assert "POST /api/v1/auth/register" in answers  # the walk sees the endpoints
    assert answers == dict.fromkeys(answers, (400, ["Unknown field."]))


def test_a_register_with_a_misspelt_field_creates_no_account(api_client):
    body = {"username": "ana", "email": "ana@example.com", "password": "Senha-Boa-2026"}
    response = api_client.post("/api/v1/auth/register", {**body, "nome": "Ana"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"nome": ["Unknown field."]},
    )
    assert not User.objects.filter(username="ana").exists()


def test_me_patched_with_its_own_get_body_is_accepted(client_with):
    me = client_with(user=UserFactory(first_name="Ana"))
    body = me.get(ME).json()
    body["first_name"] = "Ana Maria"
    response = me.patch(ME, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["first_name"] == "Ana Maria"
    refused = me.patch(ME, {"primeiro_nome": "X"}, format="json")
    assert refused.json()["errors"] == {"primeiro_nome": ["Unknown field."]}


READ_ONLY = ["Read-only field: send it unchanged or leave it out."]


@pytest.mark.parametrize(
    "changed",
    [{"is_superuser": True}, {"username": "root"}, {"effective_permissions": ["users.view_user"]}],
    ids=lambda changed: next(iter(changed)),
)
def test_me_refuses_its_read_only_fields_sent_changed(client_with, changed):
    user = UserFactory(first_name="Ana")
    me = client_with(user=user)
    body = {**me.get(ME).json(), "first_name": "Ana Maria"}
    response = me.patch(ME, {**body, **changed}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        dict.fromkeys(changed, READ_ONLY),
    )
    user.refresh_from_db()
    assert (user.first_name, user.username, user.is_superuser) == ("Ana", body["username"], False)


def test_a_user_body_patched_back_changes_what_it_may_and_refuses_roles(client_with):
    admin = client_with(superuser=True)
    user = UserFactory(first_name="Ana")
    user.roles.add(RoleFactory())
    path = f"/api/v1/users/{user.pk}/"
    got = admin.get(path)
    body = {**got.json(), "first_name": "Ana Maria", "is_staff": True}
    body.update(last_login="2000-01-01T00:00:00Z", version=99)  # bookkeeping: not compared
    refused = admin.patch(path, {**body, "roles": [], "permissions": ["x"]}, format="json")
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"permissions": READ_ONLY, "roles": READ_ONLY},
    )
    assert user.roles.count() == 1
    response = admin.patch(path, body, format="json")
    assert response.status_code == 200, response.json()
    user.refresh_from_db()
    assert (user.first_name, user.is_staff, user.roles.count()) == ("Ana Maria", True, 1)
    stale = admin.patch(path, body, format="json", HTTP_IF_MATCH=got["ETag"])
    assert stale.status_code == 412
