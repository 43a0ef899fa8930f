"""The compiled rendering writes exactly what DRF writes, and hands DRF what it cannot."""

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers

from common import projection
from common.fields import UTCDateTimeField


class PartSerializer(serializers.Serializer):
    label = serializers.CharField()
    at = UTCDateTimeField()


class ThingSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    email = serializers.EmailField()
    count = serializers.IntegerField()
    active = serializers.BooleanField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    data = serializers.JSONField()
    created_at = UTCDateTimeField()
    owner_name = serializers.CharField(source="owner.name")
    label = serializers.CharField(source="get_label")
    parts = PartSerializer(many=True)
    main_part = PartSerializer()
    optional = serializers.CharField(read_only=True)


class Owner:
    @property
    def name(self):
        raise ObjectDoesNotExist


def _thing(**changes):
    fields = {
        "id": uuid.uuid4(),
        "name": "Caneta azul",
        "email": "ana@example.com",
        "count": 3,
        "active": True,
        "price": Decimal("19.9"),
        "data": {"a": [1, 2]},
        "created_at": dt.datetime(2026, 11, 29, 5, 38, 37, 587101, tzinfo=dt.UTC),
        "owner": SimpleNamespace(name="Ana"),
        "get_label": lambda: "rótulo",
        "parts": [SimpleNamespace(label="a", at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))],
        "main_part": SimpleNamespace(label="m", at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC)),
        "optional": "x",
    }
    fields.update(changes)
    return SimpleNamespace(**fields)


CASES = {
    "plain": _thing(),
    "nulls": _thing(name=None, price=None, created_at=None, main_part=None, data=None),
    "rounding": _thing(price=Decimal("19.905"), count="7"),
    "another zone": _thing(
        created_at=dt.datetime(2026, 3, 1, 9, tzinfo=ZoneInfo("America/Sao_Paulo"))
    ),
    "naive": _thing(created_at=dt.datetime(2026, 3, 1, 9)),
    "related row missing": _thing(owner=Owner()),
    "empty list": _thing(parts=[]),
    "optional absent": SimpleNamespace(
        **{k: v for k, v in vars(_thing()).items() if k != "optional"}
    ),
    "text uuid and truthy flag": _thing(id="6f1c1b1e-1111-4111-8111-111111111111", active=1),
}


@pytest.mark.parametrize("thing", CASES.values(), ids=CASES.keys())
def test_the_compiled_rendering_equals_drfs(thing):
    assert projection.render(ThingSerializer, thing) == ThingSerializer(thing).data
    assert projection.render_many(ThingSerializer, [thing, thing]) == (
        ThingSerializer([thing, thing], many=True).data
    )


def test_the_serializer_compiles():
    assert projection._compiled(ThingSerializer) is not None


class WithMethodSerializer(serializers.Serializer):
    name = serializers.CharField()
    shout = serializers.SerializerMethodField()

    def get_shout(self, obj):
        return obj.name.upper()


class CustomSerializer(serializers.Serializer):
    name = serializers.CharField()

    def to_representation(self, instance):
        return {"custom": instance.name}


@pytest.mark.parametrize("serializer_class", [WithMethodSerializer, CustomSerializer])
def test_what_does_not_compile_is_rendered_by_drf(serializer_class):
    thing = SimpleNamespace(name="ana")
    assert projection._compiled(serializer_class) is None
    assert projection.render(serializer_class, thing) == serializer_class(thing).data
    assert projection.render_many(serializer_class, [thing]) == (
        serializer_class([thing], many=True).data
    )


def test_a_rendering_carries_its_serializer_for_the_browsable_apis_form():
    thing = _thing()
    assert projection.render(ThingSerializer, thing).serializer.instance is thing
