"""Register, log in, refresh (rotation and reuse detection), log out, JWKS, throttling."""

import jwt
import pytest
from django.conf import settings
from jwt.algorithms import RSAAlgorithm

from users.models import IssuedRefreshToken, LoginSession, User
from users.tests.factories import PASSWORD, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"


def _login(api_client, username, password=PASSWORD):
    return api_client.post(TOKEN, {"username": username, "password": password}, format="json")


def _claims(access):
    return jwt.decode(
        access,
        settings.SIMPLE_JWT["VERIFYING_KEY"],
        algorithms=["RS256"],
        audience=settings.SIMPLE_JWT["AUDIENCE"],
        issuer=settings.SIMPLE_JWT["ISSUER"],
    )


# --- register -------------------------------------------------------------------------


def test_register_creates_an_active_user_without_permissions(api_client):
    response = api_client.post(
        REGISTER,
        {
            "username": "maria",
            "email": "Maria@Example.COM",
            "password": "Sabia-2-Laranjeira",
            "first_name": "Maria",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"/api/v1/users/{body['id']}/"
    assert body["username"] == "maria"
    assert body["email"] == "Maria@example.com"  # domain normalized
    assert body["effective_permissions"] == [] and body["roles"] == []
    assert body["is_staff"] is False and body["is_superuser"] is False
    assert "password" not in body
    user = User.objects.get(username="maria")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("Sabia-2-Laranjeira")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("83749201736", "entirely numeric"),
        ("maria-silva-x", "similar"),
    ],
)
def test_register_applies_djangos_password_validators(api_client, password, reason):
    response = api_client.post(
        REGISTER,
        {"username": "maria-silva", "email": "maria-silva-x@example.com", "password": password},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert reason in " ".join(body["errors"]["password"])
    assert not User.objects.filter(username="maria-silva").exists()


def test_register_refuses_taken_username_and_email_case_insensitively(api_client):
    UserFactory(username="joao", email="joao@example.com")
    response = api_client.post(
        REGISTER,
        {"username": "joao", "email": "JOAO@example.com", "password": "Sabia-2-Laranjeira"},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "already exists" in errors["username"][0]
    assert "already exists" in errors["email"][0]


def test_register_refuses_bad_fields(api_client):
    response = api_client.post(
        REGISTER,
        {"username": "has space!", "email": "not-an-email", "password": 12},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"username", "email"} <= set(errors)


def test_register_is_throttled_per_ip(api_client, settings):
    settings.REGISTER_RATE_PER_IP = "2/hour"
    for n in range(2):
        payload = {
            "username": f"u{n}",
            "email": f"u{n}@example.com",
            "password": "Sabia-2-Laranjeira",
        }
        assert api_client.post(REGISTER, payload, format="json").status_code == 201
    payload = {"username": "u9", "email": "u9@example.com", "password": "Sabia-2-Laranjeira"}
    response = api_client.post(REGISTER, payload, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


# --- token ----------------------------------------------------------------------------


def test_login_returns_rs256_tokens_with_the_designed_claims(api_client):
    role = RoleFactory(name="Sales", codes=["clients.view_client", "orders.add_order"])
    user = UserFactory(username="ana", grants=["products.view_product"], is_staff=True)
    user.roles.add(role)
    response = _login(api_client, "ana")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    header = jwt.get_unverified_header(body["access"])
    assert header["alg"] == "RS256" and header["kid"]
    claims = _claims(body["access"])
    assert claims["sub"] == claims["user_id"] == str(user.pk)
    assert claims["username"] == "ana"
    assert claims["is_superuser"] is False
    assert claims["is_staff"] is True  # the other services' admin sites admit staff only
    assert claims["roles"] == ["Sales"]
    assert claims["permissions"] == [
        "clients.view_client",
        "orders.add_order",
        "products.view_product",
    ]
    assert claims["token_type"] == "access"
    assert claims["iss"] == settings.SIMPLE_JWT["ISSUER"]
    assert claims["aud"] == settings.SIMPLE_JWT["AUDIENCE"]
    assert claims["jti"] and claims["exp"] > claims["iat"]
    refresh_claims = _claims(body["refresh"])
    assert refresh_claims["token_type"] == "refresh"
    assert "permissions" not in refresh_claims
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.version == 2  # the role/grant save; logging in is not a change of the user


def test_the_jwks_verifies_issued_tokens(api_client):
    UserFactory(username="ana")
    access = _login(api_client, "ana").json()["access"]
    jwks = api_client.get("/api/v1/auth/jwks")
    assert jwks.status_code == 200
    (key,) = jwks.json()["keys"]
    assert key["kid"] == jwt.get_unverified_header(access)["kid"]
    public_key = RSAAlgorithm.from_jwk(key)
    claims = jwt.decode(
        access, public_key, algorithms=["RS256"], audience=settings.SIMPLE_JWT["AUDIENCE"]
    )
    assert claims["username"] == "ana"


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_wrong_password_or_unknown_user_is_401(api_client, password):
    UserFactory(username="ana")
    response = _login(api_client, "ana", password)
    assert response.status_code in (400, 401)
    if password:
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
    unknown = _login(api_client, "nobody")
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "invalid_credentials"


def test_inactive_users_cannot_log_in(api_client):
    UserFactory(username="ana", is_active=False)
    response = _login(api_client, "ana")
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"
    assert not LoginSession.objects.exists()


def test_login_is_throttled_per_ip_across_accounts(api_client, settings):
    settings.LOGIN_RATE_PER_IP = "3/min"
    for n in range(3):
        response = api_client.post(
            TOKEN,
            {"username": f"user-{n}", "password": "guess"},
            format="json",
            REMOTE_ADDR="10.1.1.1",
        )
        assert response.status_code == 401
    blocked = api_client.post(
        TOKEN,
        {"username": "someone-else", "password": "guess"},
        format="json",
        REMOTE_ADDR="10.1.1.1",
    )
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    other_address = api_client.post(
        TOKEN,
        {"username": "someone-else", "password": "guess"},
        format="json",
        REMOTE_ADDR="10.1.1.2",
    )
    assert other_address.status_code == 401


# --- refresh --------------------------------------------------------------------------


def test_refresh_rotates_and_the_old_refresh_token_is_spent(api_client):
    UserFactory(username="ana")
    first = _login(api_client, "ana").json()
    second = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh"] != first["refresh"] and pair["access"] != first["access"]
    assert _claims(pair["access"])["username"] == "ana"
    spent = IssuedRefreshToken.objects.get(jti=_claims(first["refresh"])["jti"])
    assert spent.used_at is not None
    # The new one works in turn.
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 200


def test_refresh_picks_up_new_permissions(api_client):
    user = UserFactory(username="ana")
    first = _login(api_client, "ana").json()
    assert _claims(first["access"])["permissions"] == []
    user.permissions.set(["clients.view_client"])
    pair = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json").json()
    assert _claims(pair["access"])["permissions"] == ["clients.view_client"]


def test_reusing_a_spent_refresh_token_revokes_the_whole_login(api_client):
    UserFactory(username="ana")
    stolen = _login(api_client, "ana").json()["refresh"]
    legit = api_client.post(REFRESH, {"refresh": stolen}, format="json").json()["refresh"]
    replay = api_client.post(REFRESH, {"refresh": stolen}, format="json")
    assert replay.status_code == 401
    assert replay.json()["code"] == "token_reused"
    session = LoginSession.objects.get()
    assert session.revoked_reason == "refresh_token_reused"
    # The legitimate holder's newer token is revoked with it.
    after = api_client.post(REFRESH, {"refresh": legit}, format="json")
    assert after.status_code == 401
    assert after.json()["code"] == "token_revoked"


def test_reuse_revokes_only_that_login(api_client):
    UserFactory(username="ana")
    phone = _login(api_client, "ana").json()["refresh"]
    laptop = _login(api_client, "ana").json()["refresh"]
    api_client.post(REFRESH, {"refresh": phone}, format="json")
    api_client.post(REFRESH, {"refresh": phone}, format="json")
    assert api_client.post(REFRESH, {"refresh": laptop}, format="json").status_code == 200


def test_inactive_users_cannot_refresh(api_client):
    user = UserFactory(username="ana")
    refresh = _login(api_client, "ana").json()["refresh"]
    user.is_active = False
    user.save()
    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_an_access_token_is_not_a_refresh_token(api_client):
    UserFactory(username="ana")
    access = _login(api_client, "ana").json()["access"]
    response = api_client.post(REFRESH, {"refresh": access}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_refresh_token_is_not_an_access_token(api_client):
    UserFactory(username="ana")
    refresh = _login(api_client, "ana").json()["refresh"]
    response = api_client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {refresh}")
    assert response.status_code == 401


def test_garbage_refresh_is_401(api_client):
    response = api_client.post(REFRESH, {"refresh": "abc.def.ghi"}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- logout ---------------------------------------------------------------------------


def test_logout_ends_the_login(api_client):
    UserFactory(username="ana")
    pair = _login(api_client, "ana").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    response = api_client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 204
    refused = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_revoked"


def test_logout_needs_a_token_and_your_own_refresh(api_client):
    UserFactory(username="ana")
    UserFactory(username="bia")
    ana = _login(api_client, "ana").json()
    bia = _login(api_client, "bia").json()
    assert api_client.post(LOGOUT, {"refresh": ana["refresh"]}, format="json").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {bia['access']}")
    response = api_client.post(LOGOUT, {"refresh": ana["refresh"]}, format="json")
    assert response.status_code == 400
    assert "another user" in response.json()["errors"]["refresh"][0]
    assert api_client.post(REFRESH, {"refresh": ana["refresh"]}, format="json").status_code == 200


def test_register_honours_idempotency_key(api_client):
    payload = {"username": "maria", "email": "maria@example.com", "password": "Sabia-2-Laranjeira"}
    first = api_client.post(REGISTER, payload, format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    again = api_client.post(REGISTER, payload, format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert User.objects.filter(username="maria").count() == 1
    changed = dict(payload, email="other@example.com")
    refused = api_client.post(REGISTER, changed, format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    assert refused.status_code == 422
