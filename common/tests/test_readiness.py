"""/readyz: a real round trip per check on connections kept between asks (no login per
ask), every check bounded, the whole answer within 2 s; 503 only when the database is
down, 200 "degraded" while the broker is (the outbox keeps the events), and the backlog
and consumer lag reported."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from django.db import OperationalError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from common.events import health as events_health
from common.events import relay
from common.operations import health
from common.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER_WITHIN = 2.0


def _ready(api_client) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = api_client.get("/readyz")
    return response.status_code, response.json(), time.monotonic() - started


def _create_widget() -> Widget:
    with transaction.atomic():
        return Widget.objects.create(name="w", quantity=1)


@pytest.fixture
def hung_server() -> Iterator[int]:
    """A TCP port whose server completes the handshake and then never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # never accept()ed: the kernel queues the connections, silent
        yield listener.getsockname()[1]


def test_with_everything_up_it_is_ready_and_reports_backlog_and_lag(
    api_client, broker_url, settings
):
    _create_widget()  # one event waits in the outbox
    status, body, _ = _ready(api_client)
    assert status == 200
    assert body["status"] == "ready"
    assert body["components"] == {
        "database": "up",
        "broker": "up",
        "outbox": "up",
        "consumer": "up",
        "convergence": "up",
    }
    checks = {check["name"]: check for check in body["checks"]}
    assert checks["outbox"]["pending"] == 1
    assert checks["consumer"]["waiting"] == 0
    relay.relay_pending()  # published; nobody consumes it in this test
    _, body, _ = _ready(api_client)
    checks = {check["name"]: check for check in body["checks"]}
    assert checks["outbox"]["pending"] == 0
    assert checks["consumer"] == {
        "name": "consumer",
        "ok": True,
        "status": "up",
        "queue": "common_tests.events",
        "waiting": 1,
        "parked": 0,
        "seconds": checks["consumer"]["seconds"],
    }


def _counted(monkeypatch, owner: object, name: str) -> list[None]:
    """A list that grows by one at each call of ``owner.name`` (still called)."""
    calls: list[None] = []
    original = getattr(owner, name)

    def counting(*args, **kwargs):
        calls.append(None)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


#: The lanes of a consuming service's checks that read its database: the database's
#: own (database, outbox, convergence) and the consumer's (its queue, then what is parked).
DATABASE_LANES = 2


def test_one_ask_connects_once_per_lane_that_reads_the_database_not_once_per_check(
    api_client, broker_url, monkeypatch
):
    health.close_check_connections()
    logins = _counted(monkeypatch, BaseDatabaseWrapper, "connect")
    status, body, _ = _ready(api_client)
    assert (status, body["status"]) == (200, "ready")
    assert len(logins) == DATABASE_LANES
    connected = [database for database in health._databases if database.connection]
    assert len(connected) == (DATABASE_LANES if connection.settings_dict["CONN_MAX_AGE"] else 0)


def test_asks_after_the_first_log_in_once_per_kept_connection_at_most(
    api_client, broker_url, monkeypatch
):
    assert _ready(api_client)[1]["status"] == "ready"  # the checks' connections, opened
    connected = sum(database.connection is not None for database in health._databases)
    logins = _counted(monkeypatch, BaseDatabaseWrapper, "connect")
    broker_connections = _counted(monkeypatch, events_health, "_new_broker_connection")
    asks = 5
    for _ in range(asks):
        assert _ready(api_client)[1]["status"] == "ready"
    assert broker_connections == []
    if connection.settings_dict["CONN_MAX_AGE"]:
        # Which kept connection a check borrows varies with the threads' timing: one only
        # a broker's check held, never opened, logs in once. None logs in twice.
        assert len(logins) <= len(health._databases) - connected < asks * DATABASE_LANES
    else:  # SQLite: CONN_MAX_AGE 0, each closed after its lane
        assert len(logins) == asks * DATABASE_LANES


def test_a_kept_database_connection_that_died_is_replaced_not_reported_down(api_client, settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps no connection between checks (CONN_MAX_AGE 0)")
    settings.READINESS_CHECKS = ["common.operations.health.database_check"]
    assert _ready(api_client)[0] == 200
    (kept,) = [database for database in health._idle_databases if database.connection]
    killed = kept.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [killed])
    status, body, _ = _ready(api_client)
    assert (status, body["components"]) == (200, {"database": "up"})
    assert kept.connection.info.backend_pid != killed


def test_kept_database_connections_past_their_age_are_closed_used_or_not():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps no connection between checks (CONN_MAX_AGE 0)")
    kept = [health._borrow_database(), health._borrow_database()]
    for database in kept:
        database.ensure_connection()
        health._give_back_database(database)
        database.close_at = time.monotonic() - 1  # CONN_MAX_AGE has passed
    # One of them (or an older one) is lent to the check, the other waits idle throughout.
    (result,) = health.run_checks([health.database_check], health.check_timeout())
    assert result["status"] == "up"
    assert [database for database in kept if database.connection] == []


def test_broker_stopped_is_ready_but_degraded_at_once(api_client, cuttable, settings):
    proxy, through_proxy = cuttable
    settings.BROKER_URL = through_proxy
    assert _ready(api_client)[1]["components"]["broker"] == "up"
    proxy.cut()
    _create_widget()
    status, body, took = _ready(api_client)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["components"]["broker"] == "down"
    assert body["components"]["database"] == "up"
    assert {check["name"]: check for check in body["checks"]}["outbox"]["pending"] == 1
    assert took < ANSWER_WITHIN
    proxy.restore()
    assert _ready(api_client)[1]["status"] == "ready"


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_a_hung_broker_still_gets_an_answer_within_two_seconds(
    api_client, hung_server, settings, scheme
):
    auth = "guest:guest@" if scheme == "amqp" else ""
    settings.BROKER_URL = f"{scheme}://{auth}127.0.0.1:{hung_server}/"
    status, body, took = _ready(api_client)
    assert took < ANSWER_WITHIN, took
    assert status == 200
    assert body["status"] == "degraded"
    assert body["components"]["broker"] in {"down", "timeout"}
    # The database's lane is not held behind the broker's.
    assert body["components"]["database"] == body["components"]["outbox"] == "up"


def test_database_down_is_not_ready(api_client, monkeypatch, settings):
    settings.READINESS_CHECKS = [
        "common.operations.health.database_check",
        "common.events.health.outbox_check",
    ]

    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)
    status, body, _ = _ready(api_client)
    monkeypatch.undo()
    assert status == 503
    assert body["status"] == "not ready"
    assert body["components"] == {"database": "down", "outbox": "down"}
    assert body["checks"][0]["error"] == "OperationalError"


def database_check() -> dict:
    """A database that never answers (the real check's name, so it is required)."""
    time.sleep(10)
    return {"name": "database", "ok": True}


def slow_check() -> dict:
    time.sleep(10)
    return {"name": "slow", "ok": True}


def test_a_hung_check_is_cut_off_at_the_deadline(api_client, settings):
    settings.READINESS_CHECKS = [
        "common.tests.test_readiness.slow_check",
        "common.operations.health.database_check",
    ]
    status, body, took = _ready(api_client)
    assert took < ANSWER_WITHIN
    assert (status, body["status"]) == (200, "degraded")
    assert body["components"] == {"slow": "timeout", "database": "up"}
    settings.READINESS_CHECKS = ["common.tests.test_readiness.database_check"]
    status, body, took = _ready(api_client)
    assert took < ANSWER_WITHIN
    assert (status, body["status"]) == (503, "not ready")
    assert body["checks"] == [
        {
            "name": "database",
            "ok": False,
            "status": "timeout",
            "error": "no answer within 1.5 s",
        }
    ]


def test_healthz_and_readyz_need_no_token(api_client, settings):
    settings.READINESS_CHECKS = ["common.operations.health.database_check"]
    assert api_client.get("/healthz").json()["status"] == "ok"
    response = api_client.get("/readyz")
    assert response.status_code == 200
    check = response.json()["checks"][0]
    assert (check["name"], check["ok"], check["status"]) == ("database", True, "up")
    assert check["vendor"] in {"sqlite", "postgresql"}
