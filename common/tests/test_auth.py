"""Token verification and permission checks shared by every service."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from common.auth.access import HasPermission, MethodPermission, model_permissions
from common.auth.jwt_keys import public_jwk
from common.development.testing import access_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/widgets/"


def _claims(**overrides):
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(uuid.uuid4()),
        "sub": "someone",
        "username": "someone",
        "is_superuser": True,
        "permissions": ["clients.view_client"],
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
        "iss": settings.SIMPLE_JWT["ISSUER"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims, key=None, algorithm="RS256", headers=None):
    return jwt.encode(
        claims, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm, headers=headers
    )


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _get(api_client, token):
    return api_client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_valid_token_is_accepted(api_client):
    assert _get(api_client, _sign(_claims())).status_code == 200


def test_no_token_is_401_with_a_bearer_challenge(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


def _forged_tokens():
    good = _claims()
    header_none = _b64({"alg": "none", "typ": "JWT"})
    yield "alg none", f"{header_none}.{_b64(good)}."
    yield "alg none with a signature", f"{header_none}.{_b64(good)}.c2ln"
    public_pem = settings.SIMPLE_JWT["VERIFYING_KEY"].encode()
    header_hs = _b64({"alg": "HS256", "typ": "JWT"})
    signing_input = f"{header_hs}.{_b64(good)}".encode()
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    yield (
        "HS256 with the public key as secret",
        (f"{signing_input.decode()}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"),
    )
    yield "expired", _sign(_claims(exp=int(time.time()) - 60, iat=int(time.time()) - 400))
    yield "wrong audience", _sign(_claims(aud="someone-else"))
    yield "no audience", _sign(_claims(aud=None))
    yield "wrong issuer", _sign(_claims(iss="https://evil.example"))
    yield "no issuer", _sign(_claims(iss=None))
    yield "refresh token used as access", _sign(_claims(token_type="refresh"))
    yield "no jti", _sign(_claims(jti=None))
    yield "no user id", _sign(_claims(user_id=None))
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    yield "signed by another key", _sign(_claims(), key=other_key)
    valid = _sign(_claims())
    head, payload, signature = valid.split(".")
    tampered_payload = _b64(_claims(permissions=["orders.cancel_order"]))
    yield "tampered payload", f"{head}.{tampered_payload}.{signature}"
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    yield "tampered signature", f"{head}.{payload}.{flipped}"
    yield "garbage", "not-a-token"


@pytest.mark.parametrize(("case", "token"), list(_forged_tokens()), ids=lambda v: str(v)[:40])
def test_forged_or_invalid_tokens_are_refused(api_client, case, token):
    response = _get(api_client, token)
    assert response.status_code == 401, case
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "token_not_valid"
    assert "Traceback" not in response.content.decode()


def test_authorization_header_with_extra_parts_is_401(api_client):
    response = api_client.get(URL, HTTP_AUTHORIZATION="Bearer a b")
    assert response.status_code == 401


def test_valid_token_without_the_code_is_403(api_client):
    token = access_token(permissions=["clients.add_client"])
    response = _get(api_client, token)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_the_code_grants_access_and_superuser_passes_everything(api_client):
    assert _get(api_client, access_token(permissions=["clients.view_client"])).status_code == 200
    assert _get(api_client, access_token(is_superuser=True)).status_code == 200


def test_method_mapping_asks_each_method_for_its_own_code(api_client):
    viewer = access_token(permissions=["clients.view_client"])
    body = {"items": [{"name": "a", "quantity": 1}]}
    refused = api_client.post(URL, body, format="json", HTTP_AUTHORIZATION=f"Bearer {viewer}")
    assert refused.status_code == 403
    adder = access_token(permissions=["clients.add_client"])
    allowed = api_client.post(URL, body, format="json", HTTP_AUTHORIZATION=f"Bearer {adder}")
    assert allowed.status_code == 201


def test_a_method_the_view_lacks_is_405_not_403(api_client):
    token = access_token(permissions=["clients.view_client"])
    response = api_client.delete(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_model_permissions_mapping_is_djangos():
    permission = model_permissions("clients.client")
    assert permission.codes == {
        "GET": "clients.view_client",
        "HEAD": "clients.view_client",
        "OPTIONS": "clients.view_client",
        "POST": "clients.add_client",
        "PUT": "clients.change_client",
        "PATCH": "clients.change_client",
        "DELETE": "clients.delete_client",
    }


def test_head_and_options_need_gets_code_unless_given_their_own():
    read_and_change = MethodPermission(
        {"GET": "clients.view_client", "PATCH": "clients.change_client"}
    )
    assert read_and_change.codes == {
        "GET": "clients.view_client",
        "HEAD": "clients.view_client",
        "OPTIONS": "clients.view_client",
        "PATCH": "clients.change_client",
    }
    own = MethodPermission({"GET": "clients.view_client", "OPTIONS": "orders.view_order"})
    assert own.codes["OPTIONS"] == "orders.view_order"
    assert set(MethodPermission({"POST": "clients.add_client"}).codes) == {"POST"}


def test_unknown_codes_fail_at_import_time():
    with pytest.raises(ValueError, match="catalogue"):
        HasPermission("clients.fly_client")
    with pytest.raises(ValueError, match="catalogue"):
        MethodPermission({"GET": "nope.view_nope"})


def test_issued_tokens_carry_the_key_id_of_the_jwks():
    token = access_token()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == public_jwk(settings.SIMPLE_JWT["VERIFYING_KEY"])["kid"]


def test_a_token_is_verified_once_while_it_lives(api_client, monkeypatch):
    from common.auth.access import KeyIdTokenBackend

    decoded = []
    decode = KeyIdTokenBackend.decode
    monkeypatch.setattr(
        KeyIdTokenBackend,
        "decode",
        lambda self, *a, **k: decoded.append(1) or decode(self, *a, **k),
    )
    token = _sign(_claims())
    assert [_get(api_client, token).status_code for _ in range(3)] == [200, 200, 200]
    assert len(decoded) == 1
    assert _get(api_client, _sign(_claims())).status_code == 200  # another token: verified
    assert len(decoded) == 2


def test_a_remembered_token_is_refused_once_it_expires(api_client):
    now = time.time()
    # Expired a second ago, so remembered for no time at all, but within the 5 s leeway
    # for 4 s more: time enough for a request on a busy machine.
    token = _sign(_claims(exp=int(now) - 1, iat=int(now) - 300))
    assert _get(api_client, token).status_code == 200
    time.sleep(max(0.0, int(now) + 4.5 - time.time()))  # past the leeway too
    assert _get(api_client, token).status_code == 401  # verified again, and expired


def test_a_remembered_token_is_verified_again_under_another_key(api_client, settings):
    token = _sign(_claims())
    assert _get(api_client, token).status_code == 200
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    from cryptography.hazmat.primitives import serialization

    settings.SIMPLE_JWT = dict(
        settings.SIMPLE_JWT,
        VERIFYING_KEY=other.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )
    assert _get(api_client, token).status_code == 401
