"""CompiledQuery: the ORM's statement written once, the ORM's instances on every call;
with_prefetched: a relation's rows given as prefetch_related gives them."""

import uuid
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

from common.fastpath.queries import CompiledQuery, with_prefetched
from common.tests.testapp.models import Widget, WidgetApplication, WidgetPart

pytestmark = pytest.mark.django_db


def _applications(event_id):
    return WidgetApplication.objects.filter(event_id=event_id).order_by("version")


@pytest.fixture
def applications():
    first, second = uuid.uuid4(), uuid.uuid4()
    for event_id, widget_id, version in ((first, 1, 2), (first, 1, 1), (second, 2, 1)):
        WidgetApplication.objects.create(event_id=event_id, widget_id=widget_id, version=version)
    return first, second


def _fields(instances):
    return [
        (item.pk, item.event_id, item.widget_id, item.version, item.applied_at, item._state.adding)
        for item in instances
    ]


def test_it_returns_what_the_queryset_returns_for_each_id(applications):
    query = CompiledQuery(_applications)
    for event_id in (*applications, uuid.uuid4()):
        assert _fields(query(event_id)) == _fields(_applications(event_id))
    assert [item.version for item in query(str(applications[0]))] == [1, 2]  # ids as text
    assert query(applications[0])[0].applied_at.tzinfo is not None  # the ORM's converters


def test_it_compiles_once_and_sends_one_query(applications, django_assert_num_queries):
    query = CompiledQuery(_applications)
    query(applications[0])
    with (
        mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled again")),
        django_assert_num_queries(1),
    ):
        assert len(query(applications[1])) == 1


def test_a_query_of_no_ids_finds_nothing_without_asking(django_assert_num_queries):
    query = CompiledQuery(lambda *ids: WidgetApplication.objects.filter(event_id__in=ids))
    with django_assert_num_queries(0):
        assert query() == []


def test_an_id_that_is_not_a_uuid_is_a_validation_error(applications):
    with pytest.raises(ValidationError):
        CompiledQuery(_applications)("not-a-uuid")


@pytest.mark.parametrize(
    "build",
    [
        lambda event_id: WidgetApplication.objects.filter(event_id=event_id).only("version"),
        lambda event_id: WidgetApplication.objects.filter(event_id=event_id).annotate(
            next=F("version") + 1
        ),
        lambda event_id: WidgetPart.objects.select_related("widget").filter(label=str(event_id)),
        lambda event_id: WidgetApplication.objects.all(),  # the id is not a parameter
    ],
    ids=["only", "annotate", "select_related", "unused id"],
)
def test_it_refuses_what_it_could_not_rebuild(build):
    with pytest.raises(ValueError, match="CompiledQuery"):
        CompiledQuery(build)(uuid.uuid4())


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_needs_a_transaction_every_time(applications):
    query = CompiledQuery(lambda event_id: _applications(event_id).select_for_update())
    with transaction.atomic():
        assert len(query(applications[0])) == 2
    with pytest.raises(TransactionManagementError):
        query(applications[0])


def test_with_prefetched_serves_the_rows_without_a_query(django_assert_num_queries):
    widget = Widget.objects.create(name="w")
    parts = [WidgetPart.objects.create(widget=widget, label=label) for label in "ab"]
    fresh = Widget.objects.get(pk=widget.pk)
    with_prefetched(fresh, "parts", parts)
    with django_assert_num_queries(0):
        assert list(fresh.parts.all()) == parts
