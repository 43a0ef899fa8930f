"""Query-string filters shared by the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import filterset as drf_filterset
from rest_framework import filters, serializers

from common.localization.search import fold

# The most a ?search= may hold. Every term is one more OR over the view's search
# fields: a thousand of them made SQLite refuse the query ("Expression tree is too
# large") and cost PostgreSQL a plan far beyond a page of results.
SEARCH_MAX_TERMS = 10
SEARCH_MAX_CHARACTERS = 200


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


class ValueOrLabelField(django_filters.fields.ChoiceField):
    """A choice given by its value or by its label in any of ``settings.LANGUAGES``."""

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if value in self.valid_values():
            return value
        by_label = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                by_label.update({fold(str(label)): key for key, label in self.choices})
        return by_label.get(fold(value), value)

    def valid_values(self) -> set[str]:
        return {str(key) for key, _label in self.choices}


class ValueOrLabelFilter(django_filters.ChoiceFilter):
    """``?status=aberto`` is ``?status=open``: the JSON keeps the English value, people may
    type the label they see (docs/api.md)."""

    field_class = ValueOrLabelField


class BooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``, any case); anything else is refused.

    django-filter's own field reads an unknown value as "no filter", so
    ``?is_active=maybe`` answered every row; docs/api.md promises a 400.
    """

    widget = forms.Select(choices=[("", "---------"), ("true", "true"), ("false", "false")])
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:
        if value is None or value == "":
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(
                gettext_lazy("Enter true or false."), code="invalid"
            ) from None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = BooleanField


class FilterSet(drf_filterset.FilterSet):
    """The services' filter sets: django-filter's for DRF, whose boolean fields' filters
    refuse what is not a boolean."""

    FILTER_DEFAULTS = {
        **drf_filterset.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }


class SearchLimits(filters.BaseFilterBackend):
    """Refuses a ``?search=`` past ``SEARCH_MAX_TERMS`` terms or ``SEARCH_MAX_CHARACTERS``
    characters with a 400 naming the limit, before any search runs.

    Terms are counted as DRF's SearchFilter splits them. Listed first among a
    view's filter backends; it filters nothing.
    """

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        search = filters.SearchFilter()
        value = request.query_params.get(search.search_param, "")
        if len(value) > SEARCH_MAX_CHARACTERS:
            message = gettext("A search takes at most %(max)d characters.")
            self._refuse(search.search_param, message % {"max": SEARCH_MAX_CHARACTERS})
        if len(search.get_search_terms(request)) > SEARCH_MAX_TERMS:
            message = gettext("A search takes at most %(max)d terms.")
            self._refuse(search.search_param, message % {"max": SEARCH_MAX_TERMS})
        return queryset

    @staticmethod
    def _refuse(param: str, message: str) -> None:
        raise serializers.ValidationError({param: [message]})


class OrderingFilter(filters.OrderingFilter):
    """DRF's, but an ordering field the view does not offer is a 400 naming the ones it
    does, instead of being dropped in silence; a field named twice counts once."""

    def remove_invalid_fields(self, queryset: Any, fields: Any, view: Any, request: Any) -> Any:
        valid = [
            name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
        ]
        fields = [term for term in fields if term]
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            message = gettext("Unknown ordering field: %(fields)s. Valid fields: %(valid)s.")
            raise serializers.ValidationError(
                {
                    self.ordering_param: [
                        message % {"fields": ", ".join(unknown), "valid": ", ".join(valid)}
                    ]
                }
            )
        seen: dict[str, str] = {}
        for term in fields:
            seen.setdefault(term.removeprefix("-"), term)
        return list(seen.values())


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which builds no filter form when the query string names
    none of the view's filters.

    Building and validating a form of every declared filter took about a tenth of
    a list request, only to find every value empty and return the queryset
    unchanged: exactly what skipping it returns. A parameter that starts like a filter's name
    (``price_min`` of a range filter too) goes through the whole form, errors included.
    A view's ``filterset_fields`` make one of our ``FilterSet``.
    """

    filterset_base = FilterSet

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = tuple(filterset_class.base_filters)
        if not any(parameter.startswith(names) for parameter in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)
