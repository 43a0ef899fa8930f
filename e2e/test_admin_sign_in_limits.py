"""Admin sign-ins through another service count against the browser's address.

clients_api's admin signs in by calling users_api, so users_api sees clients_api's
address; the service hands over the browser's, signed with ADMIN_SIGN_IN_SECRET.
Browsers are told apart by the loopback address their connections leave from.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import requests
from requests.adapters import HTTPAdapter

from e2e.conftest import ADMIN_PASSWORD, Service, start_service
from scripts import harness


class _FromAddress(HTTPAdapter):
    """Connections that leave from ``address`` (any 127.x.y.z reaches 127.0.0.1)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def _browser(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    session.headers["Accept-Language"] = "en"  # the admin speaks pt-BR unless asked
    return session


def _sign_in(browser: requests.Session, admin: Service, password: str) -> requests.Response:
    """Posts the admin's login form; 302 when signed in, 200 with the reason when not."""
    page = browser.get(f"{admin.url}/admin/login/", timeout=10)
    # Each service's own cookie names (docs/adr/0067-cookie-names-per-service.md).
    csrf_cookie = f"{admin.name}_csrftoken"
    csrf = page.cookies[csrf_cookie]
    return browser.post(
        f"{admin.url}/admin/login/?next=/admin/",
        # Production cookies are Secure, which requests keeps off plain http: send it by hand.
        headers={"Cookie": f"{csrf_cookie}={csrf}"},
        data={"csrfmiddlewaretoken": csrf, "username": "admin", "password": password},
        allow_redirects=False,
        timeout=10,
    )


@pytest.fixture(scope="module")
def signing_in(databases, deployment_env, broker_url, tmp_path_factory) -> Iterator[Service]:
    """users_api and clients_api sharing ADMIN_SIGN_IN_SECRET; yields clients_api."""
    logs = tmp_path_factory.mktemp("sign-in-logs")
    env = dict(
        deployment_env, ADMIN_SIGN_IN_SECRET=secrets.token_urlsafe(32), BROKER_URL=broker_url
    )
    users = start_service(
        "users_api", env=env, database_url=databases.create("users_api_sign_in"), log_dir=logs
    )
    harness.create_superuser(users.env, username="admin", password=ADMIN_PASSWORD, email="a@b.com")
    clients = start_service(
        "clients_api",
        env=dict(env, USERS_API_URL=users.url),
        database_url=databases.create("clients_api_sign_in"),
        log_dir=logs,
    )
    yield clients
    assert clients.stop() == 0, clients.log.read_text()
    assert users.stop() == 0, users.log.read_text()


def test_wrong_passwords_from_one_browser_do_not_lock_the_admin_out_elsewhere(signing_in):
    attacker = _browser("127.0.0.2")
    answers = [_sign_in(attacker, signing_in, "wrong password") for _ in range(32)]
    assert {answer.status_code for answer in answers} == {200}
    assert "Too many sign-in attempts" not in answers[0].text
    assert "Too many sign-in attempts" in answers[-1].text
    assert "Too many sign-in attempts" in _sign_in(attacker, signing_in, ADMIN_PASSWORD).text
    # The real admin, in another browser, signs in through the same service.
    signed_in = _sign_in(_browser("127.0.0.3"), signing_in, ADMIN_PASSWORD)
    assert signed_in.status_code == 302, signed_in.text
    assert signed_in.headers["Location"] == "/admin/"
