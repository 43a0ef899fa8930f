"""An aggregate's save sends the UPDATE Django writes, from a statement written once."""

import re
from unittest import mock

import pytest
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F, QuerySet
from django.test.utils import CaptureQueriesContext

from common.tests.testapp.models import Widget
from common.versioning import VersionedModel

pytestmark = pytest.mark.django_db(transaction=True)


def _widget() -> Widget:
    with transaction.atomic():
        return Widget.objects.create(name="w", quantity=1)


def _update_sql(widget: Widget, **save: object) -> list[str]:
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        widget.save(**save)
    # The statement, without the values it was sent with.
    return [
        re.sub(r"= ('[^']*'|[^,\s]+)", "= ?", q["sql"])
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE")
    ]


@pytest.mark.parametrize("save", [{}, {"update_fields": ["quantity"]}])
def test_the_update_is_djangos_statement_without_building_a_queryset(save):
    widget = _widget()
    with mock.patch.object(VersionedModel, "_do_update", models.Model._do_update):
        widget.quantity = 2
        djangos = _update_sql(widget, **save)
    with mock.patch.object(QuerySet, "_update", side_effect=AssertionError("compiled")):
        widget.quantity = 3
        ours = _update_sql(widget, **save)
    assert ours == djangos and len(ours) == 1
    widget.refresh_from_db()
    assert (widget.quantity, widget.version) == (3, 3)


def test_an_update_that_finds_no_row_says_so():
    widget = _widget()
    Widget.objects.filter(pk=widget.pk).delete()
    widget.quantity = 5
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        widget.save(update_fields=["quantity"])


def test_an_expression_goes_to_djangos_update():
    widget = _widget()
    field = Widget._meta.get_field("quantity")
    with transaction.atomic():
        updated = widget._do_update(
            Widget._base_manager.using("default"),
            "default",
            widget.pk,
            [(field, None, F("quantity") + 10)],
            ["quantity"],
            True,
        )
    assert updated
    widget.refresh_from_db()
    assert widget.quantity == 11


def test_a_failed_update_marks_the_transaction_for_rollback():
    widget = _widget()
    widget.quantity = -1  # the positive integer's check constraint refuses it
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            widget.save(update_fields=["quantity"])
        assert transaction.get_connection().needs_rollback
