"""The filter backend: no form when no filter is named, django-filter's behaviour otherwise."""

import django_filters
import pytest
from django.db import transaction
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common.filters import FilterBackend
from common.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db


class WidgetFilter(django_filters.FilterSet):
    min_quantity = django_filters.NumberFilter(field_name="quantity", lookup_expr="gte")

    class Meta:
        model = Widget
        fields = ["is_active", "min_quantity"]


class WidgetListView:
    filterset_class = WidgetFilter


def _filtered(query: str) -> list[str]:
    request = Request(APIRequestFactory().get(f"/widgets/?{query}"))
    rows = FilterBackend().filter_queryset(request, Widget.objects.all(), WidgetListView())
    return sorted(widget.name for widget in rows)


@pytest.fixture
def widgets():
    with transaction.atomic():
        Widget.objects.create(name="few", quantity=1)
        Widget.objects.create(name="many", quantity=9, is_active=False)


def test_without_filters_in_the_query_no_form_is_built(widgets, monkeypatch):
    built = []
    monkeypatch.setattr(WidgetFilter, "__init__", lambda *args, **kwargs: built.append(1))
    assert _filtered("limit=50&ordering=name&search=x") == ["few", "many"]
    assert built == []


def test_a_named_filter_filters(widgets):
    assert _filtered("min_quantity=5") == ["many"]
    assert _filtered("is_active=true") == ["few"]
    assert _filtered("min_quantity=&limit=5") == ["few", "many"]  # empty: no filter


def test_a_bad_filter_value_is_refused(widgets):
    with pytest.raises(ValidationError) as refused:
        _filtered("min_quantity=lots")
    assert "min_quantity" in refused.value.detail
