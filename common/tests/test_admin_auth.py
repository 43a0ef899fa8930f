"""Signing in to a service's admin with users_api's answer (common.auth.admin_sign_in)."""

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client as Browser

from common.auth.admin_sign_in import (
    CLIENT_ADDRESS_HEADER,
    UsersApiBackend,
    verified_client_address,
)
from common.development.testing import FakeUsersApi, users_api

__all__ = ["users_api"]  # the fixture

pytestmark = pytest.mark.django_db

PASSWORD = "Senha-Boa-1"


def _sign_in(username="ana", password=PASSWORD):
    return UsersApiBackend().authenticate(None, username=username, password=password)


def _code_of(call):
    with pytest.raises(ValidationError) as raised:
        call()
    return raised.value.code, raised.value.messages[0]


def test_a_staff_account_gets_a_local_user_with_exactly_the_tokens_codes(users_api):
    users_api.add("ana", PASSWORD, permissions=["clients.view_client", "orders.view_order"])
    user = _sign_in()
    assert user.username == "ana" and user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert user.get_all_permissions() == {"clients.view_client", "orders.view_order"}
    assert user.has_perm("clients.view_client")
    assert not user.has_perm("clients.add_client")
    assert user.has_module_perms("clients") and not user.has_module_perms("products")
    sent = users_api.requests[0]
    assert sent["path"] == "/api/v1/auth/token"
    assert sent["body"] == {"username": "ana", "password": PASSWORD}
    assert sent["headers"]["User-Agent"] == "sistema-multi-apis/common_tests admin"


def _sign_in_page(address):
    return Browser().post(
        "/admin/login/?next=/admin/",
        {"username": "ana", "password": PASSWORD},
        REMOTE_ADDR=address,
    )


def test_the_browsers_address_is_handed_over_signed(users_api):
    users_api.add("ana", PASSWORD)
    assert _sign_in_page("203.0.113.5").status_code == 302
    handed_over = users_api.requests[0]["headers"][CLIENT_ADDRESS_HEADER]
    assert handed_over.startswith("203.0.113.5 ")
    # users_api believes it for this account only.
    assert verified_client_address(handed_over, username="ana") == "203.0.113.5"
    assert verified_client_address(handed_over, username="bia") is None


def test_without_a_shared_secret_no_address_is_handed_over(users_api, settings):
    settings.ADMIN_SIGN_IN_SECRET = ""
    users_api.add("ana", PASSWORD)
    assert _sign_in_page("203.0.113.5").status_code == 302
    assert CLIENT_ADDRESS_HEADER not in users_api.requests[0]["headers"]


def test_signing_in_again_follows_users_api_and_keeps_no_local_password(users_api):
    get_user_model().objects.create_user("ana", password="local-password", is_superuser=True)
    users_api.add("ana", PASSWORD, permissions=["clients.add_client"])
    user = _sign_in()
    assert not user.is_superuser and not user.has_usable_password()
    assert get_user_model().objects.count() == 1


def test_a_superuser_token_passes_every_check(users_api):
    users_api.add("root", PASSWORD, is_superuser=True)
    user = _sign_in("root")
    assert user.is_superuser and user.has_perm("products.add_stockmovement")
    assert UsersApiBackend().get_all_permissions(user) == set(settings.PERMISSION_CODES)


def test_credentials_users_api_cannot_take_are_a_refusal(users_api):
    users_api.answer = (400, {"status": 400, "code": "validation_error"}, {})
    assert _sign_in() is None


def test_non_staff_and_wrong_passwords_are_refused_without_a_local_user(users_api):
    users_api.add("bia", PASSWORD, is_staff=False, permissions=["clients.view_client"])
    users_api.add("ana", PASSWORD)
    code, message = _code_of(lambda: _sign_in("bia"))
    assert code == "not_staff" and "not a staff member" in message
    assert _sign_in("ana", "wrong") is None
    assert _sign_in("nobody") is None
    assert not get_user_model().objects.exists()


def test_a_deactivated_account_is_told_so(users_api):
    users_api.answer = (401, {"status": 401, "code": "user_inactive"}, {})
    assert _code_of(_sign_in) == ("inactive", "This account is deactivated in users_api.")


def test_throttled_sign_ins_say_when_to_try_again(users_api):
    users_api.answer = (429, {"status": 429, "code": "throttled"}, {"Retry-After": "42"})
    code, message = _code_of(_sign_in)
    assert code == "throttled" and "42 seconds" in message


@pytest.mark.parametrize(
    "answer",
    [
        (500, {"status": 500}, {}),
        (400, {"status": 400, "code": "bad_request"}, {}),
        (200, b"<html>a proxy's page</html>", {}),
        (200, ["not", "an", "object"], {}),
        (200, {"no": "token"}, {}),
    ],
    ids=["server error", "bad host", "not json", "json list", "no access token"],
)
def test_an_unusable_answer_counts_as_unreachable(users_api, answer):
    users_api.answer = answer
    assert _code_of(_sign_in) == (
        "users_api_unreachable",
        "users_api cannot be reached; try again shortly.",
    )


def test_a_closed_port_is_unreachable(users_api):
    users_api.stop()
    assert _code_of(_sign_in)[0] == "users_api_unreachable"


def test_a_token_that_does_not_verify_here_is_refused(users_api, settings):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"username": "ana", "is_staff": True, "is_superuser": True, "token_type": "access"}
    users_api.answer = (200, {"access": jwt.encode(claims, stranger, algorithm="RS256")}, {})
    assert _code_of(_sign_in)[0] == "token_unverified"
    assert not get_user_model().objects.exists()


def test_every_admin_page_has_the_shared_header_and_links(settings):
    settings.BACK_OFFICE_URLS = {
        "users_api": "http://users.example",
        "common_tests": "http://here.example",
        "orders_api": "http://orders.example/",
    }
    page = Browser().get("/admin/login/").content.decode()
    assert "Sistema Multi-APIs — common_tests" in page
    assert 'href="http://users.example/admin/"' in page
    assert 'href="http://orders.example/admin/"' in page
    assert "here.example" not in page  # no link to itself
    assert 'href="/api/docs/"' in page


def test_fake_users_api_is_a_real_http_server():
    fake = FakeUsersApi()
    fake.stop()
    fake.stop()  # stopping twice is harmless (the fixture stops what a test stopped)


def test_an_admin_session_ends_admin_session_hours_after_signing_in(users_api, settings):
    settings.ADMIN_SESSION_MAX_AGE = 3 * 3600
    users_api.add("ana", PASSWORD)
    response = _sign_in_page("203.0.113.9")
    assert response.status_code == 302
    assert 3 * 3600 - 5 <= response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] <= 3 * 3600
