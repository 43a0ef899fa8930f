"""common.fastpath: one switch (FASTPATH_ENABLED) and one version guard turn every piece
to the framework's own path; each piece then gives what the framework gives."""

import logging
import uuid

import pytest
from django.db import connection, transaction
from django.db.backends.postgresql import base as django_postgresql
from django.db.models import QuerySet
from gunicorn.workers import gthread
from rest_framework import serializers

from common import fastpath
from common.events.models import OutboxEvent
from common.fastpath import gunicorn, inserts, projection, queries
from common.fastpath.postgresql import base as fast_postgresql
from common.tests.testapp.models import Widget, WidgetApplication, WidgetPart


@pytest.fixture(autouse=True)
def _decided_again():
    """Each test decides anew, and the next test finds the suite's own decision."""
    fastpath.enabled.cache_clear()
    yield
    fastpath.enabled.cache_clear()


@pytest.fixture
def off(settings):
    settings.FASTPATH_ENABLED = False


def _warnings(caplog):
    return [r for r in caplog.records if r.name == "common.fastpath" and r.levelname == "WARNING"]


def test_it_is_on_with_the_tested_versions_and_says_nothing(caplog):
    caplog.set_level(logging.WARNING, logger="common.fastpath")
    assert fastpath.untested_versions() == {}
    assert fastpath.enabled() is True
    assert _warnings(caplog) == []


def test_the_setting_turns_it_off_without_a_warning(off, caplog):
    caplog.set_level(logging.WARNING, logger="common.fastpath")
    assert fastpath.enabled() is False
    assert _warnings(caplog) == []


def test_the_setting_is_read_again_when_it_changes(settings):
    assert fastpath.enabled() is True
    settings.FASTPATH_ENABLED = False
    assert fastpath.enabled() is False
    settings.FASTPATH_ENABLED = True
    assert fastpath.enabled() is True


@pytest.mark.parametrize(
    ("value", "on"),
    [("off", False), ("OFF", False), ("0", False), ("false", False), ("on", True), ("", True)],
)
def test_the_environment_sets_the_setting(value, on):
    assert fastpath.switched_on({"FASTPATH": value}) is on
    assert fastpath.switched_on({}) is True


@pytest.mark.parametrize("distribution", sorted(fastpath.TESTED_VERSIONS))
def test_an_untested_version_turns_it_off_with_one_warning(monkeypatch, caplog, distribution):
    caplog.set_level(logging.WARNING, logger="common.fastpath")
    installed = fastpath.importlib.metadata.version
    monkeypatch.setattr(
        fastpath.importlib.metadata,
        "version",
        lambda name: "99.0" if name == distribution else installed(name),
    )
    assert fastpath.untested_versions() == {distribution: "99.0"}
    assert [fastpath.enabled() for _ in range(3)] == [False, False, False]
    [warning] = _warnings(caplog)
    assert f"{distribution} 99.0 installed" in warning.getMessage()
    assert fastpath.TESTED_VERSIONS[distribution] in warning.getMessage()


def test_a_missing_distribution_turns_it_off(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="common.fastpath")

    def version(name):
        raise fastpath.importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(fastpath.importlib.metadata, "version", version)
    assert fastpath.enabled() is False
    [warning] = _warnings(caplog)
    assert "django missing" in warning.getMessage()


def test_off_the_backend_is_djangos(off):
    assert fast_postgresql.database_wrapper() is django_postgresql.DatabaseWrapper


def test_on_the_backend_is_ours():
    assert fast_postgresql.database_wrapper() is fast_postgresql.FastDatabaseWrapper


@pytest.mark.parametrize(("on", "timeout"), [(True, gunicorn.DATA_TIMEOUT), (False, 5.0)])
def test_gthreads_wait_is_cut_only_when_on(settings, monkeypatch, on, timeout):
    settings.FASTPATH_ENABLED = on
    monkeypatch.setattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT", 5.0)
    gunicorn.configure()
    assert timeout == gthread.DEFAULT_WORKER_DATA_TIMEOUT


class _ThingSerializer(serializers.Serializer):
    name = serializers.CharField()
    quantity = serializers.IntegerField()


def test_off_drf_renders_every_serializer(off, monkeypatch):
    monkeypatch.setattr(projection, "_compiled", lambda cls: pytest.fail("compiled"))
    widget = Widget(name="w", quantity=2)
    assert projection.render(_ThingSerializer, widget) == {"name": "w", "quantity": 2}
    assert projection.render_many(_ThingSerializer, [widget]) == [{"name": "w", "quantity": 2}]


@pytest.mark.django_db
def test_off_a_compiled_query_is_its_queryset(off, django_assert_num_queries, monkeypatch):
    event_id = uuid.uuid4()
    WidgetApplication.objects.create(event_id=event_id, widget_id=1, version=1)
    query = queries.CompiledQuery(lambda pk: WidgetApplication.objects.filter(event_id=pk))
    monkeypatch.setattr(query, "_compile", lambda *args: pytest.fail("compiled"))
    with django_assert_num_queries(1):
        [found] = query(event_id)
    assert (found.event_id, found.version, found._state.adding) == (event_id, 1, False)


@pytest.mark.django_db
def test_off_a_relation_given_its_rows_reads_them(off, django_assert_num_queries):
    with transaction.atomic():
        widget = Widget.objects.create(name="w", quantity=1)
    part = WidgetPart.objects.create(widget=widget, label="p")
    fresh = Widget.objects.get(pk=widget.pk)
    queries.with_prefetched(fresh, "parts", [WidgetPart(widget=fresh, label="given")])
    with django_assert_num_queries(1):
        assert list(fresh.parts.all()) == [part]


@pytest.mark.django_db
@pytest.mark.parametrize("enabled", [True, False])
def test_a_row_inserted_alone_is_saved_either_way(settings, monkeypatch, enabled):
    settings.FASTPATH_ENABLED = enabled
    fast = enabled and connection.features.can_return_columns_from_insert
    # The path not taken fails the test.
    if fast:
        monkeypatch.setattr(QuerySet, "bulk_create", lambda *a, **k: pytest.fail("ORM"))
    else:
        monkeypatch.setattr(inserts, "_statement", lambda *a: pytest.fail("fast path"))
    event_id = uuid.uuid4()
    event = OutboxEvent(
        event_id=event_id,
        type="t.created",
        aggregate_type="t",
        aggregate_id="1",
        version=1,
        envelope={"id": str(event_id)},
    )
    with transaction.atomic():
        inserts.insert_one(event, using="default")
    assert event.pk is not None and not event._state.adding
    saved = OutboxEvent.objects.get(pk=event.pk)
    assert (saved.event_id, saved.envelope, saved.created_at) == (
        event_id,
        {"id": str(event_id)},
        event.created_at,
    )
