"""Query-string filters shared by the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from rest_framework import serializers


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time, turned to UTC before it reaches the database.

    Python accepts UTC offsets up to a day; PostgreSQL refuses those beyond
    ±15:59, and a date near year 1 may not survive the shift at all: both are
    answered with 400, never a database error.
    """

    def filter(self, qs: Any, value: dt.datetime | None) -> Any:
        if value is not None:
            try:
                value = value.astimezone(dt.UTC)
            except OverflowError as exc:
                raise serializers.ValidationError(
                    {self.field_name: ["This date-time is out of range."]}
                ) from exc
        return super().filter(qs, value)
