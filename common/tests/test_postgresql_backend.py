"""common.fastpath.postgresql: the health check sends no query to a connection the server has not
touched and still catches a closed session; timestamps load as Django loads them."""

import datetime as dt
import select
import time
import uuid
from unittest import mock

import psycopg
import pytest
from django.db import connection, connections
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.test.utils import CaptureQueriesContext
from psycopg import pq

from common.fastpath.postgresql.base import TIMESTAMPTZ_OID, UTCTimestamptzLoader
from common.tests.testapp.models import WidgetApplication

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the backend of PostgreSQL connections"
    ),
]


def _server_connection() -> psycopg.Connection:
    """A second session on the same server, to act on the first from outside."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def _wait_readable(timeout: float = 5.0) -> None:
    socket = connection.connection.pgconn.socket
    deadline = time.monotonic() + timeout
    while not select.select([socket], [], [], 0.05)[0]:
        assert time.monotonic() < deadline, "the server sent nothing"


def _pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_backend_is_the_project_one():
    assert type(connections["default"]).__module__ == "common.fastpath.postgresql.base"


def test_an_untouched_connection_is_usable_without_a_query():
    _pid()
    with mock.patch.object(connection.connection, "cursor", side_effect=AssertionError("query")):
        assert connection.is_usable()


def test_a_terminated_session_is_unusable_and_the_next_query_reconnects():
    pid = _pid()
    with _server_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_readable()

    assert not connection.is_usable()
    connection.health_check_enabled, connection.health_check_done = True, False
    connection.close_if_health_check_failed()
    assert connection.connection is None
    assert _pid() != pid


def test_a_waiting_notification_is_asked_about_and_kept():
    _pid()
    with connection.cursor() as cursor:
        cursor.execute("LISTEN common_tests_backend")
    with _server_connection() as other:
        other.execute("NOTIFY common_tests_backend, 'hello'")
    _wait_readable()

    with mock.patch.object(
        connection.connection, "cursor", wraps=connection.connection.cursor
    ) as cursor:
        assert connection.is_usable()
    cursor.assert_called_once()  # the SELECT 1 that told a notification from a goodbye
    received = [
        notify.payload for notify in connection.connection.notifies(timeout=1, stop_after=1)
    ]
    assert received == ["hello"]


def test_a_closed_connection_is_unusable():
    _pid()
    connection.connection.close()
    assert not connection.is_usable()
    connection.close()  # as Django does with an unusable one


TIMESTAMPS = [
    "2026-12-01 10:00:00+00",
    "2026-12-01 10:00:00.123456+00",
    "2026-06-01 23:59:59.5-03",
    "1999-12-31 23:59:59.999999+05:30",
    "0001-01-01 00:00:00+00",
]


def test_timestamps_load_as_djangos_own_loader_loads_them():
    query = "SELECT " + ", ".join(f"'{value}'::timestamptz" for value in TIMESTAMPS)
    with connection.cursor() as cursor:
        assert cursor.connection.adapters.get_loader(TIMESTAMPTZ_OID, pq.Format.TEXT) is (
            UTCTimestamptzLoader
        )
        cursor.execute(query)
        ours = cursor.fetchone()
    with connection.connection.cursor() as raw:
        register_tzloader(dt.UTC, raw)  # what Django registers without common.fastpath.postgresql
        djangos = raw.execute(query).fetchone()
    assert ours == djangos
    assert [value.isoformat() for value in ours] == [value.isoformat() for value in djangos]
    assert all(value.tzinfo is dt.UTC for value in ours)


def test_a_model_reads_back_the_instant_it_saved():
    saved = WidgetApplication.objects.create(event_id="0" * 32, widget_id=1, version=1)
    read = WidgetApplication.objects.get(pk=saved.pk)
    assert read.applied_at == saved.applied_at
    assert read.applied_at.tzinfo is dt.UTC


@pytest.mark.parametrize(("rows", "form"), [(2, "VALUES"), (9, "VALUES"), (10, "UNNEST")])
def test_a_short_bulk_insert_is_sent_as_values(rows, form):
    applications = [
        WidgetApplication(event_id=uuid.uuid4(), widget_id=n, version=1) for n in range(rows)
    ]
    with CaptureQueriesContext(connection) as queries:
        WidgetApplication.objects.bulk_create(applications)
    (insert,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert form in insert and ("UNNEST" in insert) == (form == "UNNEST")
    assert WidgetApplication.objects.count() == rows


def test_plain_values_are_placed_without_asking_each_field_and_expressions_still_ask():
    from django.db.models import Value

    from common.fastpath.postgresql.compiler import SQLInsertCompiler

    plain = [WidgetApplication(event_id=uuid.uuid4(), widget_id=n, version=1) for n in range(3)]
    with mock.patch.object(SQLInsertCompiler, "field_as_sql", side_effect=AssertionError):
        WidgetApplication.objects.bulk_create(plain)
    computed = WidgetApplication(event_id=uuid.uuid4(), widget_id=Value(5) + Value(2), version=1)
    WidgetApplication.objects.bulk_create([computed])
    assert sorted(WidgetApplication.objects.values_list("widget_id", flat=True)) == [0, 1, 2, 7]


def test_an_insert_of_a_known_shape_reuses_djangos_statement_and_reads_the_new_id():
    from django.db.backends.postgresql import compiler as djangos

    def application(n: int) -> WidgetApplication:
        return WidgetApplication(event_id=uuid.uuid4(), widget_id=n, version=1)

    with CaptureQueriesContext(connection) as first:
        written = WidgetApplication.objects.create(event_id=uuid.uuid4(), widget_id=1, version=1)
    # Known now: Django's compiler must not be asked again, for one row or for two.
    refuse = mock.patch.object(djangos.SQLInsertCompiler, "as_sql", side_effect=AssertionError)
    with refuse, CaptureQueriesContext(connection) as again:
        rewritten = WidgetApplication.objects.create(event_id=uuid.uuid4(), widget_id=2, version=1)
    WidgetApplication.objects.bulk_create([application(3), application(4)])
    with refuse:
        WidgetApplication.objects.bulk_create([application(5), application(6)])

    def statement(queries: CaptureQueriesContext) -> str:
        (sql,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
        return sql.split(" VALUES ")[0] + " RETURNING " + sql.split(" RETURNING ")[1]

    assert statement(again) == statement(first)
    assert rewritten.pk == written.pk + 1
    stored = WidgetApplication.objects.get(pk=rewritten.pk)
    assert (stored.widget_id, stored.applied_at) == (2, rewritten.applied_at)
    assert sorted(WidgetApplication.objects.values_list("widget_id", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]


def _prepared(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_values_are_bound_by_the_server_and_a_statement_run_often_is_prepared():
    from common.tests.testapp.models import WidgetCopy

    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    WidgetCopy.objects.create(id=1, name="bolt", quantity=1, version=1)
    for _ in range(10):  # psycopg prepares a statement after its fifth run
        assert WidgetCopy.objects.filter(name="bolt").count() == 1
    (statement,) = _prepared('FROM "testapp_widgetcopy" WHERE "testapp_widgetcopy"."name" = $1')
    assert statement.startswith("SELECT COUNT(*)")


def test_a_pattern_search_is_never_prepared_but_finds_the_same_rows():
    from common.tests.testapp.models import WidgetCopy

    WidgetCopy.objects.create(id=1, name="Parafuso sextavado", quantity=1, version=1)
    WidgetCopy.objects.create(id=2, name="Porca", quantity=1, version=1)
    for _ in range(10):
        found = WidgetCopy.objects.filter(name__icontains="SEXTA").values_list("name", flat=True)
        assert list(found) == ["Parafuso sextavado"]
    assert _prepared("LIKE UPPER") == []
