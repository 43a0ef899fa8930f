"""common.api.serializers.RequestBodySerializer: DRF's validation, with plain fields copied
shallowly for each request instead of rebuilt."""

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import Field

from common.api.fields import UTCDateTimeField
from common.api.serializers import RequestBodySerializer, read_only_context


class DRFLine(serializers.Serializer):
    sku = serializers.CharField(max_length=10)
    quantity = serializers.IntegerField(min_value=1, max_value=99)


class Line(RequestBodySerializer):
    sku = serializers.CharField(max_length=10)
    quantity = serializers.IntegerField(min_value=1, max_value=99)


class DRFOrder(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("in", "In"), ("out", "Out")])
    note = serializers.CharField(required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=5), required=False)
    lines = DRFLine(many=True)


class Order(RequestBodySerializer):
    kind = serializers.ChoiceField(choices=[("in", "In"), ("out", "Out")])
    note = serializers.CharField(required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=5), required=False)
    lines = Line(many=True)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "in", "lines": [{"sku": "A1", "quantity": 2}], "tags": ["x"]},
        {"kind": "out", "note": "ok", "lines": []},
        {"kind": "sideways", "lines": [{"sku": "A" * 11, "quantity": 0}], "tags": ["toolong"]},
        {"lines": [{"quantity": "many"}]},
        {},
    ],
)
def test_validates_and_refuses_exactly_as_drf(body):
    ours, drf = Order(data=body), DRFOrder(data=body)
    assert ours.is_valid() == drf.is_valid()
    assert ours.errors == drf.errors
    if drf.errors:
        for field, messages in drf.errors.items():
            assert [getattr(m, "code", None) for m in messages] == [
                getattr(m, "code", None) for m in ours.errors[field]
            ]
    else:
        assert ours.validated_data == drf.validated_data


def test_plain_fields_are_not_rebuilt_and_each_request_binds_its_own_copies():
    first, second = Line(data={"sku": "A", "quantity": 1}), Line(data={"sku": "B"})
    with mock.patch.object(Field, "__deepcopy__", side_effect=AssertionError("rebuilt")):
        assert first.fields["sku"] is not second.fields["sku"]
    assert first.is_valid() and not second.is_valid()
    assert first.fields["sku"].parent is first and second.fields["sku"].parent is second
    declared = Line._declared_fields["sku"]
    assert declared.field_name is None and declared.source is None  # never bound itself


def test_fields_holding_other_fields_are_deep_copied():
    order = Order(data={})
    assert order.fields["lines"] is not Order._declared_fields["lines"]
    assert order.fields["lines"].child is not Order._declared_fields["lines"].child
    assert order.fields["tags"].child is not Order._declared_fields["tags"].child
    assert order.fields["tags"].child.parent is order.fields["tags"]


def test_a_mutable_default_is_never_shared_between_requests():
    class Tagged(RequestBodySerializer):
        labels = serializers.JSONField(required=False, default=[])

    first = Tagged(data={})
    assert first.is_valid()
    first.validated_data["labels"].append("leaked")
    second = Tagged(data={})
    assert second.is_valid() and second.validated_data["labels"] == []


def test_an_unknown_key_is_refused_under_its_own_name_beside_the_fields_errors():
    serializer = Order(
        data={"kind": "up", "lines": [{"sku": "A1", "quantity": 1, "qty": 2}], "x": 1}
    )
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"kind", "lines", "x"}
    assert serializer.errors["x"][0].code == "unknown_field"
    assert serializer.errors["lines"] == {0: {"qty": ["Unknown field."]}}


class ShownLine(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    version = serializers.IntegerField()


class Shown(serializers.Serializer):
    """What a GET shows of an ``Order``: its input's fields and read-only ones."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    note = serializers.CharField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    placed_at = UTCDateTimeField()
    shown_lines = ShownLine(many=True)
    version = serializers.IntegerField()
    updated_at = UTCDateTimeField()


STORED = SimpleNamespace(
    id=uuid.UUID("6f1c2d3e-4b5a-4c6d-8e7f-901234567890"),
    kind="in",
    note="",
    total=Decimal("19.9"),
    placed_at=dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC),
    shown_lines=[SimpleNamespace(sku="A1", quantity=1, version=3)],
    version=4,
    updated_at=dt.datetime(2026, 12, 6, 12, 5, tzinfo=dt.UTC),
)
LINES = [{"sku": "A1", "quantity": 1}]


@pytest.fixture
def read_back():
    """The context of a write to ``STORED``, and the mock that fetches it."""
    fetch = mock.Mock(return_value=STORED)
    return read_only_context(Shown, fetch), fetch


def test_a_get_body_sent_back_passes_its_read_only_fields_unapplied(read_back):
    context, fetch = read_back
    body = {**Shown(STORED).data, "lines": LINES}
    serializer = Order(data=body, context=context)
    assert serializer.is_valid(), serializer.errors
    assert fetch.call_count == 1
    assert set(serializer.validated_data) == {"kind", "note", "lines"}


def test_read_only_values_compare_as_the_get_shows_them(read_back):
    context, _ = read_back
    body = {
        "id": str(STORED.id).upper(),
        "total": 19.9,  # shown "19.90"
        "placed_at": "2026-12-06T09:00:00-03:00",  # shown "2026-12-06T12:00:00Z"
        "shown_lines": [{"sku": "A1", "quantity": "1", "version": 1}],  # version: bookkeeping
        "kind": "in",
        "lines": LINES,
    }
    serializer = Order(data=body, context=context)
    assert serializer.is_valid(), serializer.errors


@pytest.mark.parametrize(
    "changed",
    [
        {"id": str(uuid.uuid4())},
        {"total": "19.91"},
        {"total": "19.901"},
        {"placed_at": "2026-12-06T12:00:01Z"},
        {"shown_lines": [{"sku": "A2", "quantity": 1, "version": 3}]},
        {"shown_lines": []},
        {"total": None},
        {"shown_lines": "A1"},
    ],
)
def test_a_read_only_field_sent_changed_is_refused_by_name(read_back, changed):
    context, _ = read_back
    body = {"kind": "in", "lines": LINES, **changed}
    serializer = Order(data=body, context=context)
    assert not serializer.is_valid()
    (name,) = set(body) - {"kind", "lines"}
    assert serializer.errors == {name: ["Read-only field: send it unchanged or leave it out."]}
    assert serializer.errors[name][0].code == "read_only_field"


def test_bookkeeping_fields_pass_whatever_their_value_without_a_read(read_back):
    context, fetch = read_back
    body = {"kind": "in", "lines": LINES, "version": 1, "updated_at": "yesterday"}
    serializer = Order(data=body, context=context)
    assert serializer.is_valid(), serializer.errors
    assert "version" not in serializer.validated_data
    fetch.assert_not_called()


def test_a_body_of_declared_fields_reads_nothing(read_back):
    context, fetch = read_back
    assert Order(data={"kind": "in", "lines": LINES}, context=context).is_valid()
    assert not Order(data={"kind": "in", "lines": LINES, "x": 1}, context=context).is_valid()
    fetch.assert_not_called()


def test_read_only_names_pass_at_the_top_only(read_back):
    context, _ = read_back
    nested = Order(
        data={"kind": "in", "lines": [{"sku": "A1", "quantity": 1, "id": str(STORED.id)}]},
        context=context,
    )
    assert not nested.is_valid()
    assert nested.errors == {"lines": {0: {"id": ["Unknown field."]}}}


def test_an_html_form_posts_its_csrf_token_and_nested_names_but_nothing_else():
    form = QueryDict(mutable=True)
    form.update({"kind": "in", "csrfmiddlewaretoken": "t", "lines[0]sku": "A1"})
    form.update({"lines[0]quantity": "1"})
    serializer = Order(data=form)
    assert serializer.is_valid(), serializer.errors
    form["nome"] = "X"
    refused = Order(data=form)
    assert not refused.is_valid()
    assert refused.errors == {"nome": ["Unknown field."]}
