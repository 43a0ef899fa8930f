import pytest

from clients import brazil
from clients.tests.factories import cnpj, cpf
from common.localization import formats


@pytest.mark.parametrize("value", ["529.982.247-25", "52998224725", " 529 982 247 25 "])
def test_valid_cpf_in_any_format_is_stored_as_digits(value):
    assert brazil.normalize_cpf(value) == "52998224725"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("529.982.247-24", "check digits"),
        ("529.982.247-15", "check digits"),
        ("111.111.111-11", "all digits equal"),
        ("000.000.000-00", "all digits equal"),
        ("5299822472", "11 digits"),
        ("529982247255", "11 digits"),
        ("529.982.ABC-25", "11 digits"),
        ("", "11 digits"),
    ],
)
def test_invalid_cpf_is_refused_with_the_reason(value, message):
    with pytest.raises(ValueError, match=message):
        brazil.normalize_cpf(value)


@pytest.mark.parametrize("value", ["11.222.333/0001-81", "11222333000181"])
def test_valid_cnpj(value):
    assert brazil.normalize_cnpj(value) == "11222333000181"


def test_alphanumeric_cnpj_of_2026_is_accepted():
    # The Receita Federal's own example of the new format.
    assert brazil.normalize_cnpj("12.ABC.345/01DE-35") == "12ABC34501DE35"
    assert brazil.normalize_cnpj("12abc34501de35") == "12ABC34501DE35"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11.222.333/0001-80", "check digits"),
        ("12.ABC.345/01DE-36", "check digits"),
        ("11.111.111/1111-11", "all characters equal"),
        ("00000000000000", "all characters equal"),
        ("1122233300018", "14 characters"),
        ("11.222.333/0001-8A", "14 characters"),
    ],
)
def test_invalid_cnpj_is_refused_with_the_reason(value, message):
    with pytest.raises(ValueError, match=message):
        brazil.normalize_cnpj(value)


def test_factories_make_valid_documents():
    for seed in range(200):
        assert brazil.normalize_cpf(cpf(seed)) == cpf(seed)
        assert brazil.normalize_cnpj(cnpj(seed)) == cnpj(seed)


def test_formatting():
    assert formats.format_document("52998224725") == "529.982.247-25"
    assert formats.format_document("11222333000181") == "11.222.333/0001-81"
    assert formats.format_cep("01310100") == "01310-100"


def test_reais_and_addresses_follow_the_language():
    from django.utils import translation

    with translation.override("pt-br"):
        assert formats.brl(1234.5) == "R$\u00a01.234,50"
        address = {"street": "Rua A", "number": "10", "complement": "", "district": "Centro"}
        address.update({"city": "Natal", "state": "RN", "postal_code": "59010000"})
        assert formats.format_address(address) == "Rua A, 10 — Centro — Natal/RN — CEP 59010-000"
    with translation.override("en"):
        assert formats.brl(1234.5) == "R$\u00a01,234.50"


@pytest.mark.parametrize("value", ["01310-100", "01310100", "01.310-100"])
def test_cep(value):
    assert brazil.normalize_cep(value) == "01310100"


@pytest.mark.parametrize("value", ["0131010", "013101000", "ABCDE-FGH", "00000-000"])
def test_bad_cep(value):
    with pytest.raises(ValueError):
        brazil.normalize_cep(value)


def test_the_27_ufs():
    assert len(brazil.UFS) == 27
    assert brazil.normalize_uf(" sp ") == "SP"
    with pytest.raises(ValueError, match="not a Brazilian state"):
        brazil.normalize_uf("XX")
