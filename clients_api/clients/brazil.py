"""Brazilian identifiers: CPF, CNPJ (numeric and the 2026 alphanumeric form), CEP and UFs.

Each ``normalize_*`` accepts formatted or bare input and returns the stored
form, or raises ValueError with a message meant for the person who typed it, in
the active language.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext

UFS: dict[str, str] = {
    "AC": "Acre",
    "AL": "Alagoas",
    "AP": "Amapá",
    "AM": "Amazonas",
    "BA": "Bahia",
    "CE": "Ceará",
    "DF": "Distrito Federal",
    "ES": "Espírito Santo",
    "GO": "Goiás",
    "MA": "Maranhão",
    "MT": "Mato Grosso",
    "MS": "Mato Grosso do Sul",
    "MG": "Minas Gerais",
    "PA": "Pará",
    "PB": "Paraíba",
    "PR": "Paraná",
    "PE": "Pernambuco",
    "PI": "Piauí",
    "RJ": "Rio de Janeiro",
    "RN": "Rio Grande do Norte",
    "RS": "Rio Grande do Sul",
    "RO": "Rondônia",
    "RR": "Roraima",
    "SC": "Santa Catarina",
    "SP": "São Paulo",
    "SE": "Sergipe",
    "TO": "Tocantins",
}

_SEPARATORS = re.compile(r"[\s./-]")
_CNPJ_SHAPE = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")


def _strip(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def _cpf_digit(digits: list[int]) -> int:
    weight = len(digits) + 1
    remainder = sum(d * (weight - i) for i, d in enumerate(digits)) * 10 % 11
    return 0 if remainder == 10 else remainder


def normalize_cpf(value: str) -> str:
    """The 11 digits of a valid CPF. Raises ValueError."""
    cpf = _strip(value)
    if not cpf.isdigit() or len(cpf) != 11:
        raise ValueError(gettext("A CPF has 11 digits (e.g. 123.456.789-09)."))
    if len(set(cpf)) == 1:
        raise ValueError(gettext("A CPF cannot have all digits equal."))
    digits = [int(c) for c in cpf]
    if _cpf_digit(digits[:9]) != digits[9] or _cpf_digit(digits[:10]) != digits[10]:
        raise ValueError(gettext("This CPF is not valid: its check digits do not match."))
    return cpf


def _cnpj_digit(values: list[int]) -> int:
    weights = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2][-len(values) :]
    remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def normalize_cnpj(value: str) -> str:
    """The 14 characters of a valid CNPJ. Raises ValueError.

    Since July 2026 the first 12 positions may be letters (IN RFB 2.229/2024);
    a character's value is its ASCII code minus 48, so numeric CNPJs check as before.
    """
    cnpj = _strip(value)
    if not _CNPJ_SHAPE.match(cnpj):
        raise ValueError(
            gettext(
                "A CNPJ has 14 characters: 12 letters or digits and 2 check digits "
                "(e.g. 12.345.678/0001-95)."
            )
        )
    if len(set(cnpj)) == 1:
        raise ValueError(gettext("A CNPJ cannot have all characters equal."))
    values = [ord(c) - 48 for c in cnpj]
    if _cnpj_digit(values[:12]) != values[12] or _cnpj_digit(values[:13]) != values[13]:
        raise ValueError(gettext("This CNPJ is not valid: its check digits do not match."))
    return cnpj


def normalize_cep(value: str) -> str:
    """The 8 digits of a CEP (12345-678 or 12345678). Raises ValueError."""
    cep = _strip(value)
    if not cep.isdigit() or len(cep) != 8:
        raise ValueError(gettext("A CEP has 8 digits (e.g. 01310-100)."))
    if cep == "00000000":
        raise ValueError(gettext("00000-000 is not a CEP."))
    return cep


def normalize_uf(value: str) -> str:
    """A state's two-letter code (sp -> SP). Raises ValueError."""
    uf = value.strip().upper()
    if uf not in UFS:
        raise ValueError(
            gettext("'%(value)s' is not a Brazilian state; use one of %(ufs)s.")
            % {"value": value, "ufs": ", ".join(UFS)}
        )
    return uf


def normalize_search_document(term: str) -> str:
    """A CPF/CNPJ typed with punctuation, as stored (digits and letters only)."""
    return _strip(term)


def looks_like_document(term: str) -> bool:
    """A search term made of digits and CPF/CNPJ punctuation (so punctuation can be ignored)."""
    stripped = _strip(term)
    return bool(stripped) and stripped.isdigit() and stripped != term
