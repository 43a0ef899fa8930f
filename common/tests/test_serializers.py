"""common.serializers.RequestBodySerializer: DRF's validation, with plain fields copied
shallowly for each request instead of rebuilt."""

from unittest import mock

import pytest
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import Field

from common.serializers import READ_ONLY_FIELDS, RequestBodySerializer


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


def test_read_only_names_pass_at_the_top_only_and_are_not_applied():
    context = {READ_ONLY_FIELDS: frozenset({"id", "sku"})}
    body = {"id": "1", "kind": "in", "lines": [{"sku": "A1", "quantity": 1}]}
    serializer = Order(data=body, context=context)
    assert serializer.is_valid(), serializer.errors
    assert "id" not in serializer.validated_data
    nested = Order(
        data={**body, "lines": [{"sku": "A1", "quantity": 1, "id": "1"}]}, context=context
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
