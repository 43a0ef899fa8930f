"""Output as DRF writes it: the orjson renderer and the UTC timestamp field."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from common.api.fields import UTCDateTimeField
from common.api.renderers import FastJSONRenderer

PAYLOADS = [
    {"count": 2, "next": None, "results": [{"a": 1}, {"b": [True, False, None]}]},
    ReturnDict({"id": uuid.UUID("016b25be-e129-4863-b039-11b5ba7a4365")}, serializer=None),
    ReturnList([{"price": "19.90"}], serializer=None),
    {"when": dt.datetime(2026, 11, 29, 5, 38, 37, 587101, tzinfo=dt.UTC)},
    {"naive": dt.datetime(2026, 11, 29, 5, 38), "day": dt.date(2026, 11, 29)},
    {"money": Decimal("19.90"), "lazy": gettext_lazy("This field is required.")},
    {"text": "São Paulo — açaí", "separators": "a\u2028b\u2029c", "quote": 'he said "hi"'},
    [],
    "plain",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_same_bytes_as_drf(payload):
    assert FastJSONRenderer().render(payload) == JSONRenderer().render(payload)


def test_nothing_renders_as_empty_body():
    assert FastJSONRenderer().render(None) == b""


def test_an_indent_asked_for_is_honoured():
    rendered = FastJSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert rendered == b'{\n  "a": 1\n}'


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 11, 29, 5, 38, 37, 587101, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 29, 2, 38, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
        None,
    ],
)
def test_utc_timestamps_read_as_drf_writes_them_in_utc(value, settings):
    settings.TIME_ZONE = "UTC"  # DRF's own field writes the display zone (São Paulo's)
    assert UTCDateTimeField().to_representation(value) == (
        serializers.DateTimeField().to_representation(value)
    )


def test_utc_timestamps_end_in_z():
    value = dt.datetime(2026, 11, 29, 2, 38, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    assert UTCDateTimeField().to_representation(value) == "2026-11-29T05:38:00Z"
