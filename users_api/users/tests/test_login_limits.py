"""Login limits: per address, per account and address, per account; and the address
a service's admin hands over for the browser signing in through it."""

import time

import pytest

from common.auth.admin_sign_in import signed_client_address
from users.models import LoginSession
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"
SERVICE = "10.9.0.2"  # where clients_api's admin calls users_api from


def _login(api_client, username, password, address, **headers):
    return api_client.post(
        TOKEN,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        **headers,
    )


def _through_admin(api_client, username, password, browser, header=None):
    """A sign-in through another service's admin, as common.auth.admin_sign_in sends it."""
    value = header or signed_client_address(address=browser, username=username)
    return _login(api_client, username, password, SERVICE, HTTP_X_SIGN_IN_CLIENT_ADDRESS=value)


def _assert_throttled(response, at_most):
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= at_most


# --- per account and address (item 5 of issue 14) ----------------------------------------


def test_an_attacker_exhausting_an_account_from_one_address_does_not_lock_it_elsewhere(
    api_client, settings
):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = "3/15min"
    UserFactory(username="admin")
    for _ in range(3):
        assert _login(api_client, "admin", "guess", "203.0.113.7").status_code == 401
    # The attacker's address is stopped, even with the right password...
    _assert_throttled(_login(api_client, "Admin ", PASSWORD, "203.0.113.7"), 900)
    # ...but the owner, elsewhere, is not.
    assert _login(api_client, "admin", PASSWORD, "198.51.100.20").status_code == 200
    # Nor is another account from the attacker's address.
    UserFactory(username="bia")
    assert _login(api_client, "bia", PASSWORD, "203.0.113.7").status_code == 200


def test_a_successful_login_does_not_count_as_a_failure(api_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = "2/15min"
    UserFactory(username="ana")
    for _ in range(12):
        assert _login(api_client, "ana", PASSWORD, "198.51.100.20").status_code == 200
    assert _login(api_client, "ana", "typo", "198.51.100.20").status_code == 401
    assert _login(api_client, "ana", PASSWORD, "198.51.100.20").status_code == 200


def test_an_ipv6_subscriber_counts_as_its_slash_64(api_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = "2/15min"
    UserFactory(username="ana")
    for host in ("1", "2"):
        assert _login(api_client, "ana", "guess", f"2001:db8:1:2::{host}").status_code == 401
    _assert_throttled(_login(api_client, "ana", "guess", "2001:db8:1:2::ffff"), 900)
    assert _login(api_client, "ana", PASSWORD, "2001:db8:1:3::1").status_code == 200


# --- per account, all addresses ----------------------------------------------------------


def test_brute_force_from_many_addresses_hits_the_per_account_limit(api_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = "5/hour"
    UserFactory(username="ana")
    for n in range(5):
        assert _login(api_client, "ana", "guess", f"203.0.113.{n}").status_code == 401
    # A fresh address gets no guess at all, not even the right one.
    _assert_throttled(_login(api_client, "ana", PASSWORD, "203.0.113.200"), 3600)
    _assert_throttled(_login(api_client, "ana", "guess", "203.0.113.201"), 3600)
    assert not LoginSession.objects.exists()
    # Other accounts are not affected.
    UserFactory(username="bia")
    assert _login(api_client, "bia", PASSWORD, "203.0.113.200").status_code == 200


def test_the_owner_still_logs_in_from_an_address_they_used_lately(api_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = "5/hour"
    UserFactory(username="ana")
    assert _login(api_client, "ana", PASSWORD, "198.51.100.20").status_code == 200
    for n in range(6):
        _login(api_client, "ana", "guess", f"203.0.113.{n}")
    _assert_throttled(_login(api_client, "ana", PASSWORD, "203.0.113.200"), 3600)
    assert _login(api_client, "ana", PASSWORD, "198.51.100.20").status_code == 200
    # A known address is still held to its own per-address limits.
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = "1/15min"
    assert _login(api_client, "ana", "typo", "198.51.100.20").status_code == 401
    _assert_throttled(_login(api_client, "ana", PASSWORD, "198.51.100.20"), 900)


def test_an_address_known_long_ago_is_not_known(api_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = "2/hour"
    settings.LOGIN_KNOWN_ADDRESS_DAYS = 30
    UserFactory(username="ana")
    assert _login(api_client, "ana", PASSWORD, "198.51.100.20").status_code == 200
    LoginSession.objects.update(created_at="2020-01-01T00:00:00Z")
    for n in range(2):
        _login(api_client, "ana", "guess", f"203.0.113.{n}")
    _assert_throttled(_login(api_client, "ana", PASSWORD, "198.51.100.20"), 3600)


# --- the address a service's admin hands over (item 4 of issue 14) -----------------------


def test_wrong_passwords_through_one_admin_do_not_lock_out_another_address(api_client, settings):
    UserFactory(username="admin", is_staff=True)
    # 32 wrong passwords from one browser through one admin (the defaults: 30/min per
    # address, 10 failures per account and address).
    statuses = [
        _through_admin(api_client, "admin", "guess", "203.0.113.66").status_code for _ in range(32)
    ]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    # The real admin, at another address, signs in through the same service.
    assert _through_admin(api_client, "admin", PASSWORD, "198.51.100.20").status_code == 200
    session = LoginSession.objects.get()
    assert session.ip_address == "198.51.100.20"  # the browser's, not the service's
    # And through users_api directly.
    assert _login(api_client, "admin", PASSWORD, "198.51.100.21").status_code == 200


def test_every_attempt_is_counted_against_the_browser_not_the_service(api_client, settings):
    settings.LOGIN_RATE_PER_IP = "3/min"
    for n in range(3):
        assert _through_admin(api_client, f"u{n}", "guess", "203.0.113.66").status_code == 401
    _assert_throttled(_through_admin(api_client, "u9", "guess", "203.0.113.66"), 60)
    # Another browser through the same service, and the service's own address, are free.
    assert _through_admin(api_client, "u9", "guess", "198.51.100.20").status_code == 401
    assert _login(api_client, "u9", "guess", SERVICE).status_code == 401


def _forged(username):
    """Header values a client could send without the shared secret."""
    now = int(time.time())
    real = signed_client_address(address="192.0.2.50", username=username)
    address, timestamp, proof = real.split(" ")
    return {
        "bare address": "192.0.2.50",
        "no proof": f"192.0.2.51 {now}",
        "made-up proof": f"192.0.2.52 {now} {'0' * 64}",
        "another address": f"192.0.2.53 {timestamp} {proof}",
        "another time": f"{address} {int(timestamp) - 1} {proof}",
        "another account": signed_client_address(address="192.0.2.54", username="other"),
        "not an address": f"not-an-ip {now} {proof}",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "bare address",
        "no proof",
        "made-up proof",
        "another address",
        "another time",
        "another account",
        "not an address",
    ],
)
def test_a_header_without_a_valid_proof_is_ignored(api_client, settings, kind):
    settings.LOGIN_RATE_PER_IP = "3/min"
    for n in range(3):
        assert _login(api_client, f"u{n}", "guess", "203.0.113.9").status_code == 401
    # Claiming to speak for another address does not escape the caller's own budget...
    forged = _forged("u9")[kind]
    response = _login(
        api_client, "u9", "guess", "203.0.113.9", HTTP_X_SIGN_IN_CLIENT_ADDRESS=forged
    )
    _assert_throttled(response, 60)
    # ...which only a valid proof does.
    signed = signed_client_address(address="192.0.2.60", username="u9")
    response = _login(
        api_client, "u9", "guess", "203.0.113.9", HTTP_X_SIGN_IN_CLIENT_ADDRESS=signed
    )
    assert response.status_code == 401


def test_a_stale_proof_is_ignored(api_client, settings, monkeypatch):
    settings.LOGIN_RATE_PER_IP = "1/min"
    UserFactory(username="ana")
    real_time = time.time
    # Margins of 10 s either side of the 60 s limit: the logins before the check hash
    # passwords, which takes a while on a busy machine.
    monkeypatch.setattr(time, "time", lambda: real_time() - 50)
    old_but_fresh = signed_client_address(address="192.0.2.50", username="ana")
    monkeypatch.setattr(time, "time", lambda: real_time() - 70)
    stale = signed_client_address(address="192.0.2.51", username="ana")
    monkeypatch.setattr(time, "time", real_time)
    assert _login(api_client, "x", "guess", SERVICE).status_code == 401
    fresh = _login(
        api_client, "ana", PASSWORD, SERVICE, HTTP_X_SIGN_IN_CLIENT_ADDRESS=old_but_fresh
    )
    assert fresh.status_code == 200
    response = _login(api_client, "ana", PASSWORD, SERVICE, HTTP_X_SIGN_IN_CLIENT_ADDRESS=stale)
    _assert_throttled(response, 60)


def test_without_a_shared_secret_no_address_is_believed(api_client, settings):
    settings.LOGIN_RATE_PER_IP = "1/min"
    signed = signed_client_address(address="192.0.2.50", username="ana")
    assert _login(api_client, "x", "guess", SERVICE).status_code == 401
    believed = _login(api_client, "ana", "guess", SERVICE, HTTP_X_SIGN_IN_CLIENT_ADDRESS=signed)
    assert believed.status_code == 401
    settings.ADMIN_SIGN_IN_SECRET = ""
    response = _login(api_client, "ana", "guess", SERVICE, HTTP_X_SIGN_IN_CLIENT_ADDRESS=signed)
    _assert_throttled(response, 60)
