"""Serializer fields every service shares."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers


class UTCDateTimeField(serializers.DateTimeField):
    """A timestamp in ISO 8601, UTC (``2026-11-29T05:38:37.587101Z``), as docs/api.md promises.

    DRF's field looks up the active time zone for every value it writes (a
    context-local read that costs more than the formatting); a fixed UTC zone
    writes the same text without it.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)
