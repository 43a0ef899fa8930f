"""The compiled rendering writes exactly what DRF writes, and hands DRF what it cannot."""

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db.models.manager import BaseManager
from rest_framework import serializers

from common.api.fields import UTCDateTimeField
from common.fastpath import projection


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


class PartsManager(BaseManager):
    """Stands for a related manager: callable (``manager(manager=...)``), read by ``all()``."""

    def __init__(self, parts):
        super().__init__()
        self._parts = parts

    def __call__(self, *, manager):
        raise AssertionError("a related manager is not called")

    def all(self):
        return self._parts


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
    "parts from a related manager": _thing(
        parts=PartsManager([SimpleNamespace(label="r", at=dt.datetime(2026, 1, 3, tzinfo=dt.UTC))])
    ),
    "optional absent": SimpleNamespace(
        **{k: v for k, v in vars(_thing()).items() if k != "optional"}
    ),
    "text uuid and truthy flag": _thing(id="6f1c1b1e-1111-4111-8111-111111111111", active=1),
}


class PlainThingSerializer(ThingSerializer):
    """No callable source: every field is read by the generated function."""

    label = None


@pytest.mark.parametrize("serializer_class", [ThingSerializer, PlainThingSerializer])
@pytest.mark.parametrize("thing", CASES.values(), ids=CASES.keys())
def test_the_compiled_rendering_equals_drfs(thing, serializer_class):
    assert projection.render(serializer_class, thing) == serializer_class(thing).data
    assert projection.render_many(serializer_class, [thing, thing]) == (
        serializer_class([thing, thing], many=True).data
    )


def test_the_serializer_compiles():
    assert projection._compiled(ThingSerializer) is not None


def test_a_plain_instance_is_rendered_by_the_generated_function_alone(monkeypatch):
    row = projection._compiled(PlainThingSerializer)
    assert row.__name__ == "straight"
    # What the generated function hands anything unusual to: it must not be reached.
    monkeypatch.setitem(row.__globals__, "_row", lambda instance: pytest.fail("fell back"))
    for thing in (_thing(), CASES["parts from a related manager"]):
        assert row(thing) == PlainThingSerializer(thing).data


@pytest.mark.parametrize(
    "case", ["nulls", "rounding", "another zone", "naive", "related row missing", "optional absent"]
)
def test_what_the_generated_function_does_not_know_goes_to_the_field_by_field_plan(
    case, monkeypatch
):
    row = projection._compiled(PlainThingSerializer)
    fallen_back = []
    field_by_field = row.__globals__["_row"]
    monkeypatch.setitem(
        row.__globals__, "_row", lambda instance: fallen_back.append(1) or field_by_field(instance)
    )
    thing = CASES[case]
    assert row(thing) == PlainThingSerializer(thing).data
    if case in ("related row missing", "optional absent"):
        assert fallen_back


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


class KeywordSourceSerializer(serializers.Serializer):
    kind = serializers.CharField(source="class")
    name = serializers.CharField()


def test_a_source_no_function_can_name_is_rendered_field_by_field():
    thing = SimpleNamespace(**{"class": "gold", "name": "Ana"})
    assert projection.render(KeywordSourceSerializer, thing) == {"kind": "gold", "name": "Ana"}
