"""``update_all``: many changed rows of one model in one UPDATE, as ``bulk_update`` writes
them, with the table's constraints judging every row, and no event (no signal)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from common.events.models import OutboxEvent
from common.service_layer.services import update_all
from common.tests.testapp.models import Widget, WidgetCopy

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["arrays", "bulk_update"])
def path(request, monkeypatch):
    """Both ways ``update_all`` writes: one array per column (PostgreSQL) and Django's
    ``bulk_update`` (every other database), on whichever database the run has."""
    if request.param == "bulk_update":
        monkeypatch.setattr(connection, "vendor", "not-postgresql")
    elif connection.vendor != "postgresql":
        pytest.skip("the arrays are PostgreSQL's; this run's database writes through bulk_update")
    return request.param


def _widgets(count):
    with transaction.atomic():
        return [Widget.objects.create(name=f"w{n}", quantity=n) for n in range(count)]


def test_each_row_gets_its_own_values_in_one_statement_and_no_event(path):
    widgets = _widgets(20)
    untouched = _widgets(1)[0]
    events = OutboxEvent.objects.count()
    for widget in widgets:
        widget.quantity += 100
        widget.name = f"{widget.name}-moved"
        widget.mark_changed()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        update_all(widgets, fields=["name", "quantity", "version", "updated_at"])
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert [s for s in statements if s not in ("SAVEPOINT", "RELEASE")] == ["UPDATE"]
    stored = {w.pk: w for w in Widget.objects.all()}
    for widget in widgets:
        row = stored[widget.pk]
        assert (row.name, row.quantity, row.version) == (widget.name, widget.quantity, 2)
        assert row.updated_at == widget.updated_at
    assert (stored[untouched.pk].name, stored[untouched.pk].version) == ("w0", 1)
    assert OutboxEvent.objects.count() == events  # a bulk write's events are its caller's


def test_json_and_nulls_are_written_as_given(path):
    copies = WidgetCopy.objects.bulk_create(
        [WidgetCopy(id=n, name="c", quantity=1, version=1, parts=[]) for n in (1, 2)]
    )
    copies[0].parts = [{"label": "roda", "n": 1}]
    copies[1].parts = {"nested": [None, "eixo"]}
    update_all(copies, fields=["parts"])
    assert dict(WidgetCopy.objects.values_list("id", "parts")) == {
        1: [{"label": "roda", "n": 1}],
        2: {"nested": [None, "eixo"]},
    }


def test_a_row_the_constraints_refuse_refuses_the_whole_statement(path):
    widgets = _widgets(3)
    widgets[0].quantity = 7
    widgets[2].quantity = -1  # PositiveIntegerField: the table's CHECK refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        update_all(widgets, fields=["quantity"])
    assert sorted(Widget.objects.values_list("quantity", flat=True)) == [0, 1, 2]


def test_nothing_to_write_sends_nothing(path):
    with CaptureQueriesContext(connection) as queries:
        update_all([], fields=["quantity"])
    assert queries.captured_queries == []
