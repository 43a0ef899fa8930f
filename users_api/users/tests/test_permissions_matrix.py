"""Every endpoint, both ways: 401 without a token, 403 without the code, 2xx with it.

The table below is the contract; a new endpoint without a row here is caught by
``test_every_route_is_in_the_matrix``.
"""

import pytest

from common.permission_catalogue import CATALOGUE
from common.testing import PermissionCase as Case
from common.testing import uncovered_routes
from users.models import User
from users.tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _new_user_body():
    return {"username": "newbie", "email": "newbie@example.com", "password": "Sabia-2-Laranjeira"}


CASES = [
    Case("post", "auth/logout", None, "refresh", 204),
    Case("get", "users/me", None),
    Case("patch", "users/me", None, {"first_name": "A"}),
    Case("post", "users/me/password", None, "password", 204),
    Case("get", "users/", "users.view_user"),
    Case("post", "users/", "users.add_user", _new_user_body(), 201),
    Case("get", "users/<uuid:pk>/", "users.view_user"),
    Case("patch", "users/<uuid:pk>/", "users.change_user", {"first_name": "B"}),
    Case("delete", "users/<uuid:pk>/", "users.delete_user", None, 204),
    Case("put", "users/<uuid:pk>/roles", "users.change_user", {"roles": []}),
    Case("put", "users/<uuid:pk>/permissions", "users.change_user", {"permissions": []}),
    Case("get", "roles/", "users.view_role"),
    Case("post", "roles/", "users.add_role", {"name": "Nova"}, 201),
    Case("get", "roles/<uuid:pk>/", "users.view_role"),
    Case("put", "roles/<uuid:pk>/", "users.change_role", {"name": "Outra"}),
    Case("patch", "roles/<uuid:pk>/", "users.change_role", {"description": "d"}),
    Case("delete", "roles/<uuid:pk>/", "users.delete_role", None, 204),
    Case("get", "permissions/", "users.view_permission"),
]

PUBLIC = {"auth/register", "auth/token", "auth/token/refresh", "auth/jwks"}


def _url(case: Case) -> str:
    path = case.route
    if "users/<uuid:pk>" in path:
        path = path.replace("<uuid:pk>", str(UserFactory().pk))
    if "roles/<uuid:pk>" in path:
        path = path.replace("<uuid:pk>", str(RoleFactory().pk))
    return f"/api/v1/{path}"


def _call(client, case: Case, url: str, tokens_for=None):
    body = case.body
    if body == "refresh":
        body = {"refresh": tokens_for(client.user).refresh}
    elif body == "password":
        body = {"current_password": "Correct-Horse-7-Battery", "new_password": "Nova-Senha-42x"}
    return getattr(client, case.method)(url, body, format="json")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_without_a_token_is_401(api_client, case):
    response = getattr(api_client, case.method)(_url(case), {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("case", [c for c in CASES if c.code], ids=str)
def test_without_the_code_is_403(client_with, case):
    # Every other code of the catalogue, just not this one.
    client = client_with(*(code for code in CATALOGUE if code != case.code))
    response = getattr(client, case.method)(_url(case), case.body or {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_with_the_code_succeeds(client_with, tokens_for, case):
    client = client_with(*([case.code] if case.code else []))
    response = _call(client, case, _url(case), tokens_for)
    assert response.status_code == case.expected, response.content


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_superuser_passes(client_with, tokens_for, case):
    client = client_with(superuser=True)
    response = _call(client, case, _url(case), tokens_for)
    assert response.status_code == case.expected, response.content


@pytest.mark.parametrize("gone", ["deactivated", "deleted"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_token_of_an_account_no_longer_active_is_401_at_once(client_with, tokens_for, case, gone):
    # users_api has the accounts, so it does not wait for the token to expire.
    client = client_with(superuser=True)
    body = case.body
    if body == "refresh":
        body = {"refresh": tokens_for(client.user).refresh}
    accounts = User.objects.filter(pk=client.user.pk)
    if gone == "deactivated":
        accounts.update(is_active=False)
    else:
        accounts.delete()
    url = _url(case)
    response = getattr(client, case.method)(url, body, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_every_route_is_in_the_matrix():
    assert uncovered_routes(CASES, PUBLIC) == []
