"""Output serializers rendered without DRF's per-field machinery, to the same JSON.

A page of 50 products through ``ProductOutputSerializer(many=True).data`` spent
more time in DRF's per-field ``get_attribute`` and ``to_representation`` calls
than in the database. ``render`` and ``render_many`` compile a serializer class
once into a plan (one getter and one converter per field, chosen by the
field's type) and write the same values; the serializer stays the declaration,
which the schema and the browsable API read. A serializer with anything the
plan does not know (a method field, a custom ``to_representation``, a field
type outside the list below) is rendered by DRF itself, so the output is
always DRF's: common/tests/test_projection.py compares both renderings, and
each service's output-body tests pin its JSON.

Replaces DRF's ``Serializer.to_representation`` (a ``get_attribute`` and a
``to_representation`` call per field and row) with a function generated per
serializer class; it reads ``Field.source_attrs`` and DRF's ``is_simple_callable``.
Measured gain: docs/performance.md, "The fast path". Off
(:func:`common.fastpath.enabled`), DRF renders every serializer.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import keyword
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.manager import BaseManager
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField, is_simple_callable
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import ReturnDict

from common import fastpath
from common.api.fields import UTCDateTimeField

Row = Callable[[Any], dict[str, Any]]


class _NotCompilable(Exception):
    """The serializer uses something the plan does not reproduce: DRF renders it."""


def render(serializer_class: type[serializers.Serializer], instance: Any) -> dict[str, Any]:
    """``serializer_class(instance).data``, faster where the class compiles.

    Like DRF's, the result carries its serializer (not evaluated), whose ``instance``
    the browsable API's edit form starts from.
    """
    row = _compiled(serializer_class) if fastpath.enabled() else None
    if row is None:
        return serializer_class(instance).data
    return ReturnDict(row(instance), serializer=serializer_class(instance))


def render_many(
    serializer_class: type[serializers.Serializer], instances: Iterable[Any]
) -> list[dict[str, Any]]:
    """``serializer_class(instances, many=True).data``, faster where the class compiles."""
    row = _compiled(serializer_class) if fastpath.enabled() else None
    if row is None:
        return serializer_class(instances, many=True).data
    return [row(instance) for instance in instances]


@functools.cache
def _compiled(serializer_class: type[serializers.Serializer]) -> Row | None:
    try:
        return _plan(serializer_class())
    except _NotCompilable:
        return None


def _plan(serializer: serializers.Serializer) -> Row:
    if type(serializer).to_representation is not serializers.Serializer.to_representation:
        raise _NotCompilable
    fields = [field for field in serializer.fields.values() if not field.write_only]
    plan = [(field.field_name, _getter(field), _converter(field)) for field in fields]

    def row(instance: Any) -> dict[str, Any]:
        out = {}
        for name, get, convert in plan:
            try:
                value = get(instance)
            except SkipField:
                continue
            out[name] = None if value is None else convert(value)
        return out

    return _straight(fields, [convert for _, _, convert in plan], row)


def _straight(
    fields: list[serializers.Field], converters: list[Callable[[Any], Any]], row: Row
) -> Row:
    """``row`` as one generated function: the attribute reads and conversions inline,
    no loop, no call per field where a builtin does (a page of 50 products rendered in
    about half the time). Any instance it would not render exactly as ``row`` (a
    missing attribute or related row, a callable value, a converter raising) goes to
    ``row`` itself, so the output is ``row``'s."""
    names = {"_row": row, "_Manager": BaseManager}
    reads, values, callables = [], [], []
    for index, (field, convert) in enumerate(zip(fields, converters, strict=True)):
        if not all(
            attribute.isidentifier() and not keyword.iskeyword(attribute)
            for attribute in field.source_attrs
        ):
            return row
        value = f"v{index}"
        reads.append(f"{value} = instance.{'.'.join(field.source_attrs)}")
        # A related manager is callable but not called (DRF's is_simple_callable).
        callables.append(
            f"(callable({value}) and not isinstance({value}, _Manager))"
            if isinstance(field, serializers.ListSerializer)
            else f"callable({value})"
        )
        if convert is str or convert is int:
            converted = f"{convert.__name__}({value})"
        else:
            converted = f"_c{index}({value})"
        names[f"_c{index}"] = convert
        values.append(f"{field.field_name!r}: None if {value} is None else {converted}")
    if not reads:
        return row
    source = "\n".join(
        [
            "def straight(instance):",
            "    try:",
            *(f"        {read}" for read in reads),
            f"        if not ({' or '.join(callables)}):",
            f"            return {{{', '.join(values)}}}",
            "    except Exception:",
            "        pass",
            "    return _row(instance)",
        ]
    )
    exec(compile(source, f"<projection of {len(fields)} fields>", "exec"), names)  # noqa: S102
    return names["straight"]


def _getter(field: serializers.Field) -> Callable[[Any], Any]:
    """DRF's ``field.get_attribute`` for an object: a missing attribute goes to DRF
    itself (defaults, skipped optional fields, its error)."""
    if field.source == "*":
        raise _NotCompilable
    attributes = field.source_attrs

    def get(instance: Any) -> Any:
        value = instance
        try:
            for attribute in attributes:
                value = getattr(value, attribute)
                if callable(value) and is_simple_callable(value):
                    value = value()
        except ObjectDoesNotExist:
            return None
        except AttributeError:
            return field.get_attribute(instance)
        return value

    return get


def _converter(field: serializers.Field) -> Callable[[Any], Any]:
    kind = type(field)
    if isinstance(field, serializers.ListSerializer):
        child = _plan(field.child)
        return lambda value: [child(item) for item in _items(value)]
    if isinstance(field, serializers.Serializer):
        return _plan(field)
    if kind in (serializers.CharField, serializers.EmailField):
        return str
    if kind is serializers.IntegerField:
        return int
    if kind is serializers.UUIDField and field.uuid_format == "hex_verbose":
        return lambda value: (
            str(value) if isinstance(value, uuid.UUID) else field.to_representation(value)
        )
    if kind is serializers.BooleanField:
        return lambda value: (
            value if value is True or value is False else field.to_representation(value)
        )
    if kind is serializers.JSONField and not field.binary:
        return lambda value: value
    if kind is serializers.DecimalField:
        return _decimal(field)
    if (
        kind is UTCDateTimeField
        and getattr(field, "timezone", None) is dt.UTC
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
    ):
        return _utc_iso
    raise _NotCompilable


def _items(value: Any) -> Iterable[Any]:
    return value.all() if isinstance(value, BaseManager) else value  # as ListSerializer


def _decimal(field: serializers.DecimalField) -> Callable[[Any], str]:
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or field.localize or field.normalize_output or field.decimal_places is None:
        raise _NotCompilable
    quantum = decimal.Decimal(".1") ** field.decimal_places
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits

    def convert(value: Any) -> str:
        if not isinstance(value, decimal.Decimal):
            return field.to_representation(value)
        return f"{value.quantize(quantum, rounding=field.rounding, context=context):f}"

    return convert


def _utc_iso(value: Any) -> Any:
    if type(value) is dt.datetime and value.tzinfo is dt.UTC:
        return value.isoformat()[:-6] + "Z"
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        return UTCDateTimeField().to_representation(value)
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
