"""Query-string filters shared by the services."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import django_filters
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
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
                    {self.field_name: [gettext("This date-time is out of range.")]}
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


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which builds no filter form when the query string names
    none of the view's filters.

    Building and validating a form of every declared filter took about a tenth of
    a list request, only to find every value empty and return the queryset
    unchanged: exactly what skipping it returns. A parameter that starts like a filter's name
    (``price_min`` of a range filter too) goes through the whole form, errors included.
    """

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = tuple(filterset_class.base_filters)
        if not any(parameter.startswith(names) for parameter in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)
