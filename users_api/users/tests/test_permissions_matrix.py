"""Every endpoint, both ways: 401 without a token, 403 without the code, 2xx with it, and
within its query budget.

The table below is the contract (common.development.testing.permission_matrix makes the tests); a
new endpoint without a row here is caught by ``test_every_route_is_in_the_matrix``.
Each budget is the number of queries the endpoint makes on rows like a real account's
(a role with codes and direct grants): a second fetch of a row shows up as a failure.
"""

import pytest

from common.development.testing import PermissionCase as Case
from common.development.testing import permission_matrix
from users.models import User
from users.permission_catalogue import CATALOGUE
from users.tests.factories import PASSWORD, RoleFactory, UserFactory, tokens

pytestmark = pytest.mark.django_db


def _new_user_body():
    return {"username": "newbie", "email": "newbie@example.com", "password": "Sabia-2-Laranjeira"}


# A change of a user also writes its event (outbox); one that revokes (logout, password,
# deactivation, codes removed) also reads and writes the user's revocation, and working
# out whether codes are removed reads the codes kept (common.auth.revocations, issue #35).
CASES = [
    # the API's root (GET /api/v1/): any authenticated caller
    Case("get", "", None, queries=1),  # the account still active?
    Case("post", "auth/logout", None, "refresh", 204, queries=10),
    Case("get", "users/me", None, queries=5),
    Case("patch", "users/me", None, {"first_name": "A"}, queries=14),
    Case("post", "users/me/password", None, "password", 204, queries=10),
    Case("get", "users/", "users.view_user", queries=6),
    Case("post", "users/", "users.add_user", _new_user_body(), 201, queries=11),
    Case("get", "users/<uuid:pk>/", "users.view_user", queries=5),
    Case("patch", "users/<uuid:pk>/", "users.change_user", {"first_name": "B"}, queries=14),
    Case("delete", "users/<uuid:pk>/", "users.delete_user", None, 204, queries=13),
    Case("put", "users/<uuid:pk>/roles", "users.change_user", {"roles": []}, queries=15),
    Case(
        "put",
        "users/<uuid:pk>/permissions",
        "users.change_user",
        {"permissions": []},
        queries=15,
    ),
    Case("get", "roles/", "users.view_role", queries=4),
    Case("post", "roles/", "users.add_role", {"name": "Nova"}, 201, queries=6),
    Case("get", "roles/<uuid:pk>/", "users.view_role", queries=3),
    Case("put", "roles/<uuid:pk>/", "users.change_role", {"name": "Outra"}, queries=11),
    Case("patch", "roles/<uuid:pk>/", "users.change_role", {"description": "d"}, queries=6),
    Case("delete", "roles/<uuid:pk>/", "users.delete_role", None, 204, queries=9),
    Case("get", "permissions/", "users.view_permission", queries=3),
]

# Open to anyone: no codes to check, but a budget like every route.
PUBLIC_CASES = [
    Case("post", "auth/register", None, _new_user_body(), 201, queries=10),
    Case("post", "auth/token", None, "login", queries=9),
    Case("post", "auth/token/refresh", None, "refresh", queries=8),
    Case("get", "auth/jwks", None, queries=0),
]

# Held through a role by every caller and every user acted on; no route here needs it,
# so each route's own code still decides.
ROLE_CODE = "clients.view_client"


def _account(*codes: str, **fields) -> User:
    """A user holding ``codes`` directly and ``ROLE_CODE`` through a role."""
    user = UserFactory(grants=list(codes), **fields)
    user.roles.add(RoleFactory(codes=[ROLE_CODE]))
    return user


def _request(case: Case, client) -> tuple[str, object]:
    """The case's URL, the user or role it names holding the case's own code (so the
    caller may take it away) beside a role's; and its body, where an account's password
    or refresh token is the caller's (a new account's for a caller without a token)."""
    path = case.route
    codes = [case.code] if case.code else []
    if "users/<uuid:pk>" in path:
        path = path.replace("<uuid:pk>", str(_account(*codes).pk))
    if "roles/<uuid:pk>" in path:
        path = path.replace("<uuid:pk>", str(RoleFactory(codes=codes).pk))
    return f"/api/v1/{path}", _body(case, client)


def _body(case: Case, client):
    if case.body not in ("login", "refresh", "password"):
        return case.body
    user = getattr(client, "user", None) or _account()
    if case.body == "login":
        return {"username": user.username, "password": PASSWORD}
    if case.body == "refresh":
        return {"refresh": tokens(user).refresh}
    return {"current_password": PASSWORD, "new_password": "Nova-Senha-42x"}


TestPermissionMatrix = permission_matrix(
    cases=CASES,
    catalogue=CATALOGUE,
    request=_request,
    holding=lambda client_with, codes: client_with(user=_account(*codes)),
    public=PUBLIC_CASES,
)


@pytest.mark.parametrize("gone", ["deactivated", "deleted"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_token_of_an_account_no_longer_active_is_401_at_once(client_with, case, gone):
    # users_api has the accounts, so it does not wait for the token to expire.
    client = client_with(superuser=True)
    url, body = _request(case, client)
    accounts = User.objects.filter(pk=client.user.pk)
    if gone == "deactivated":
        accounts.update(is_active=False)
    else:
        accounts.delete()
    response = getattr(client, case.method)(url, body, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"
