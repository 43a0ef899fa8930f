"""The filter backend: no form when no filter is named, django-filter's behaviour otherwise;
booleans, search input, ordering fields and page parameters refused when wrong (400)."""

import django_filters
import pytest
from django.db import transaction
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common.api.filters import SEARCH_MAX_CHARACTERS, SEARCH_MAX_TERMS, FilterBackend, FilterSet
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


class StrictWidgetFilter(FilterSet):
    class Meta:
        model = Widget
        fields = ["is_active"]


class StrictWidgetListView:
    filterset_class = StrictWidgetFilter


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("true", ["few"]),
        ("TRUE", ["few"]),
        ("1", ["few"]),
        ("false", ["many"]),
        ("0", ["many"]),
        ("", ["few", "many"]),
    ],
)
def test_a_boolean_filter_takes_true_or_false(widgets, value, names):
    request = Request(APIRequestFactory().get(f"/widgets/?is_active={value}"))
    rows = FilterBackend().filter_queryset(request, Widget.objects.all(), StrictWidgetListView())
    assert sorted(widget.name for widget in rows) == names


@pytest.mark.parametrize("value", ["maybe", "yes-ish", "2", "none"])
def test_a_boolean_filter_refuses_anything_else(widgets, value):
    request = Request(APIRequestFactory().get(f"/widgets/?is_active={value}"))
    with pytest.raises(ValidationError) as refused:
        FilterBackend().filter_queryset(request, Widget.objects.all(), StrictWidgetListView())
    assert refused.value.detail["is_active"] == ["Enter true or false."]


def test_filterset_fields_make_strict_filters(widgets):
    class View:
        filterset_fields = ["is_active"]

    request = Request(APIRequestFactory().get("/widgets/?is_active=maybe"))
    with pytest.raises(ValidationError):
        FilterBackend().filter_queryset(request, Widget.objects.all(), View())


# --- over HTTP: search input, ordering, pages --------------------------------------------------

URL = "/api/v1/widgets/"


@pytest.fixture
def api(client_with):
    return client_with("clients.view_client")


def _refusal(response, param):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["errors"][param][0]


def test_a_search_takes_at_most_its_terms(widgets, api):
    allowed = " ".join(["few"] * SEARCH_MAX_TERMS)
    assert api.get(URL, {"search": allowed}).json()["count"] == 1
    message = _refusal(api.get(URL, {"search": f"{allowed} few"}), "search")
    assert message == f"A search takes at most {SEARCH_MAX_TERMS} terms."
    commas = ",".join(["few"] * (SEARCH_MAX_TERMS + 1))
    assert "terms" in _refusal(api.get(URL, {"search": commas}), "search")


def test_a_search_takes_at_most_its_characters(widgets, api):
    allowed = "f" * SEARCH_MAX_CHARACTERS
    assert api.get(URL, {"search": allowed}).status_code == 200
    message = _refusal(api.get(URL, {"search": allowed + "f"}), "search")
    assert message == f"A search takes at most {SEARCH_MAX_CHARACTERS} characters."


def test_an_unknown_ordering_field_is_refused_naming_the_valid_ones(widgets, api):
    message = _refusal(api.get(URL, {"ordering": "quantity,secret"}), "ordering")
    assert message == "Unknown ordering field: secret. Valid fields: name, quantity."
    assert "-nope" in _refusal(api.get(URL, {"ordering": "-nope"}), "ordering")
    names = [w["name"] for w in api.get(URL, {"ordering": "-quantity,quantity,"}).json()["results"]]
    assert names == ["many", "few"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("offset=abc", "offset"),
        ("offset=-5", "offset"),
        ("offset=1000000001", "offset"),
        ("offset=" + "9" * 30, "offset"),
    ],
)
def test_page_parameters_of_the_wrong_type_are_refused(widgets, api, query, param):
    assert _refusal(api.get(f"{URL}?{query}"), param).startswith("Enter a whole number")


def test_page_parameters_in_range_page(widgets, api):
    assert api.get(f"{URL}?limit=1&offset=1").json()["results"][0]["name"] == "many"
    assert len(api.get(f"{URL}?limit=500").json()["results"]) == 2  # 200 at most: no error
    assert api.get(f"{URL}?limit=&offset=").json()["count"] == 2
    assert api.get(f"{URL}?offset=1000000000").json()["results"] == []


@pytest.mark.default_language
def test_the_refusals_speak_brazilian_portuguese(widgets, api):
    assert _refusal(api.get(URL, {"ordering": "nope"}), "ordering").startswith(
        "Campo de ordenação desconhecido: nope."
    )
    message = _refusal(api.get(f"{URL}?limit=0"), "limit")
    assert message == "Informe um número inteiro a partir de 1."
