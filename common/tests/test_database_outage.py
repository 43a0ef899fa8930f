"""While the database is unreachable every request is a 503 problem with Retry-After,
whether the error comes from a DRF view or from a middleware; a 500 says "our bug",
a 503 says "try again", and the next request after the database returns succeeds.

A deadlock or a serialization failure is no outage: a 409 ``transient_conflict``
with Retry-After, logged as a warning.

The real outage (PostgreSQL refusing connections, then back) is e2e/test_outages.py.
"""

import logging

import psycopg
import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from common.development.testing import access_token

pytestmark = pytest.mark.django_db


class Outage:
    """Makes every new cursor fail the way a dropped or refused connection does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def begin(self, error: Exception) -> None:
        def refuse(self, *args, **kwargs):
            raise error

        self.monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)

    def end(self) -> None:
        self.monkeypatch.undo()


@pytest.fixture
def outage(monkeypatch):
    outage = Outage(monkeypatch)
    outage.begin(OperationalError("connection to server at 127.0.0.1 failed: Connection refused"))
    yield outage
    outage.end()


def _assert_unavailable(response):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert body["status"] == 503
    assert "Connection refused" not in response.content.decode()


@pytest.fixture
def client(api_client):
    api_client.raise_request_exception = False
    token = access_token(permissions=["clients.view_client"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection to server at 127.0.0.1 failed: Connection refused"),
        InterfaceError("connection already closed"),
    ],
)
def test_an_api_view_answers_503_with_retry_after(client, outage, error):
    outage.begin(error)
    _assert_unavailable(client.get("/api/v1/widgets/"))


def test_a_middleware_reading_the_session_answers_503_too(client, outage):
    # The session is loaded by a middleware, outside any DRF view and its handler.
    client.cookies["sessionid"] = "abcdefghijklmnopqrstuvwxyz012345"
    _assert_unavailable(client.get("/healthz"))


def test_the_next_request_after_the_database_returns_succeeds(client, outage):
    _assert_unavailable(client.get("/api/v1/widgets/"))
    outage.end()
    assert client.get("/api/v1/widgets/").status_code == 200


def test_other_unexpected_errors_stay_500(client, outage):
    outage.end()
    response = client.get("/api/v1/crash")
    assert response.status_code == 500
    assert "Retry-After" not in response


def _driver_error(error_class):
    """Django's OperationalError as its wrapper raises it: caused by the driver's error."""
    driver_error = error_class("deadlock detected\nDETAIL: Process 1 waits for ShareLock")
    error = OperationalError(*driver_error.args)
    error.__cause__ = driver_error
    return error


TRANSIENT = [
    pytest.param(psycopg.errors.DeadlockDetected, id="deadlock-40P01"),
    pytest.param(psycopg.errors.SerializationFailure, id="serialization-40001"),
]


def _assert_transient_conflict(response):
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "1"
    body = response.json()
    assert body["code"] == "transient_conflict"
    assert body["status"] == 409
    assert "deadlock" not in response.content.decode()


@pytest.mark.parametrize("error_class", TRANSIENT)
def test_a_deadlock_in_a_view_is_a_409_transient_conflict_logged_as_a_warning(
    client, outage, error_class, caplog
):
    outage.begin(_driver_error(error_class))
    with caplog.at_level(logging.WARNING, logger="common.api.errors"):
        _assert_transient_conflict(client.get("/api/v1/widgets/"))
    records = [record for record in caplog.records if record.name == "common.api.errors"]
    assert [record.levelno for record in records] == [logging.WARNING]


@pytest.mark.parametrize("error_class", TRANSIENT)
def test_a_deadlock_in_a_middleware_is_a_409_transient_conflict_too(client, outage, error_class):
    outage.begin(_driver_error(error_class))
    client.cookies["sessionid"] = "abcdefghijklmnopqrstuvwxyz012345"
    _assert_transient_conflict(client.get("/healthz"))


def test_another_operational_error_of_postgresql_stays_database_unavailable(client, outage):
    outage.begin(_driver_error(psycopg.errors.AdminShutdown))
    _assert_unavailable(client.get("/api/v1/widgets/"))
