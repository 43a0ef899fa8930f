"""Decimals typed the Brazilian way (docs/adr/0066-brazilian-decimals.md): read when they
read one way only, refused with a message otherwise, never reinterpreted; JSON keeps the dot."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import translation
from rest_framework import serializers

from common.api.fields import LocalizedDecimalField as LocalizedSerializerField
from common.localization.forms import LocalizedDecimalField, read_decimal
from common.templatetags.localized_numbers import brl, localized_decimal

pytestmark = pytest.mark.default_language


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("8,99", "8.99"),
        ("1.234,56", "1234.56"),
        ("1.234.567,8", "1234567.8"),
        ("8.99", "8.99"),
        ("1.234.567", "1234567"),
        ("1234", "1234"),
        (" -3,5 ", "-3.5"),
        ("0.500", "0.500"),
        ("1234.567", "1234.567"),
        ("8,999", "8.999"),
    ],
)
def test_pt_br_reads_what_reads_one_way_only(typed, read):
    with translation.override("pt-br"):
        assert read_decimal(typed) == read


@pytest.mark.parametrize(
    ("typed", "read"),
    [("8.99", "8.99"), ("1,234.56", "1234.56"), ("8,99", "8.99"), ("1,234,567", "1234567")],
)
def test_english_reads_its_own_format_and_the_brazilian_comma(typed, read):
    with translation.override("en"):
        assert read_decimal(typed) == read


@pytest.mark.parametrize("typed", ["1,234.56", "12.34,56", "8,9,9", "1.2.3", "abc", "8,", "R$ 8"])
def test_pt_br_refuses_what_it_cannot_read(typed):
    with translation.override("pt-br"), pytest.raises(ValidationError) as refused:
        read_decimal(typed)
    assert refused.value.code == "invalid"
    assert refused.value.messages == ["Digite um número como 1.234,56 ou 8,99."]


@pytest.mark.parametrize("language", ["pt-br", "en"])
def test_one_group_of_three_is_ambiguous_and_refused(language):
    typed = "1.234" if language == "pt-br" else "1,234"
    with translation.override(language), pytest.raises(ValidationError) as refused:
        read_decimal(typed)
    assert refused.value.code == "ambiguous"
    expected = {
        "pt-br": "“1.234” pode ser lido de duas formas: digite 1.234,00 para o valor inteiro "
        "ou 1,234 se o separador marca os decimais.",
        "en": "“1,234” can be read two ways: type 1,234.00 for the whole amount, "
        "or 1.234 if the separator marks the decimals.",
    }
    assert refused.value.messages == [expected[language]]


def test_the_form_field_reads_typed_text_and_shows_the_value_localized():
    field = LocalizedDecimalField(max_digits=12, decimal_places=2)
    with translation.override("pt-br"):
        assert field.clean("1.234,56") == Decimal("1234.56")
        assert field.clean("8.99") == Decimal("8.99")
        html = field.widget.render("price", Decimal("8.99"))
        with pytest.raises(ValidationError) as refused:
            field.clean("8,999")
    assert 'value="8,99"' in html and 'type="text"' in html and 'inputmode="decimal"' in html
    assert [error.code for error in refused.value.error_list] == ["max_decimal_places"]


class Body(serializers.Serializer):
    price = LocalizedSerializerField(max_digits=12, decimal_places=2)


def test_the_serializer_field_reads_html_form_data_as_people_type_it():
    with translation.override("pt-br"):
        form = Body(data=QueryDict("price=1.234%2C56"))
        assert form.is_valid(), form.errors
        ambiguous = Body(data=QueryDict("price=1.234"))
        assert not ambiguous.is_valid()
    assert form.validated_data["price"] == Decimal("1234.56")
    assert ambiguous.errors["price"][0].code == "ambiguous"


def test_an_empty_html_form_field_gets_drfs_own_message():
    with translation.override("pt-br"):
        empty = Body(data=QueryDict("price="))
        assert not empty.is_valid()
    assert empty.errors["price"] == ["Um número válido é necessário."]  # DRF's, not ours


def test_json_keeps_the_dot():
    with translation.override("pt-br"):
        dot = Body(data={"price": "8.99"})
        assert dot.is_valid()
        comma = Body(data={"price": "8,99"})
        assert not comma.is_valid()
        # A dot in JSON is the decimal point, never a thousands separator.
        three_places = Body(data={"price": "1.234"})
        assert not three_places.is_valid()
    assert dot.validated_data["price"] == Decimal("8.99")
    assert comma.errors["price"][0].code == "invalid"
    assert three_places.errors["price"][0].code == "max_decimal_places"


def test_the_browsable_form_shows_the_api_value_localized_and_typed_text_as_typed():
    with translation.override("pt-br"):
        assert localized_decimal("1234.50") == "1234,50"
        assert localized_decimal("1.234.567") == "1.234.567"


def test_the_brl_filter_writes_reais_in_the_readers_format():
    with translation.override("pt-br"):
        assert brl(Decimal("1234.5")) == "R$\u00a01.234,50"
        assert brl(Decimal("0")) == "R$\u00a00,00"
    with translation.override("en"):
        assert brl(Decimal("1234.5")) == "R$\u00a01,234.50"
    assert brl(None) == ""
