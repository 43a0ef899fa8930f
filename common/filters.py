"""Query-string filters shared by the services."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import django_filters
from django.conf import settings
from django.utils import translation
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


def _folded(text: str) -> str:
    """Lower case without accents: "Concluído" and "concluido" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class ValueOrLabelField(django_filters.fields.ChoiceField):
    """A choice given by its value or by its label in any of ``settings.LANGUAGES``."""

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if value in self.valid_values():
            return value
        by_label = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                by_label.update({_folded(str(label)): key for key, label in self.choices})
        return by_label.get(_folded(value), value)

    def valid_values(self) -> set[str]:
        return {str(key) for key, _label in self.choices}


class ValueOrLabelFilter(django_filters.ChoiceFilter):
    """``?status=aberto`` is ``?status=open``: the JSON keeps the English value, people may
    type the label they see (docs/api.md)."""

    field_class = ValueOrLabelField
