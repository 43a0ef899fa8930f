"""How the back offices show Brazilian values: CPF/CNPJ and CEP masks, reais, addresses.

Storage and the JSON API keep the bare forms (digits, decimal strings); these
are for people, in the active language's number format (R$ 1.234,56 in pt-BR).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext


def format_document(document: str) -> str:
    """123.456.789-09 for a CPF, 12.345.678/0001-95 for a CNPJ; anything else as is."""
    if len(document) == 11:
        return f"{document[:3]}.{document[3:6]}.{document[6:9]}-{document[9:]}"
    if len(document) == 14:
        return f"{document[:2]}.{document[2:5]}.{document[5:8]}/{document[8:12]}-{document[12:]}"
    return document


def format_cep(cep: str) -> str:
    """01310-100 for 8 digits; anything else as is."""
    return f"{cep[:5]}-{cep[5:]}" if len(cep) == 8 and cep.isdigit() else cep


def brl(amount: Decimal | int | None) -> str:
    """R$ 1.234,56 (pt-BR) or R$ 1,234.56 (en): reais with the language's separators."""
    if amount is None:
        return ""
    return f"R$\u00a0{number_format(amount, 2, use_l10n=True, force_grouping=True)}"


def format_address(address: Mapping[str, Any] | None) -> str:
    """One line, as on an envelope: "Rua A, 10, apto 2 — Centro — Natal/RN — CEP 59010-000"."""
    if not address:
        return ""
    street = ", ".join(
        part
        for part in (address.get("street"), address.get("number"), address.get("complement"))
        if part
    )
    city = "/".join(part for part in (address.get("city"), address.get("state")) if part)
    cep = address.get("postal_code")
    parts = [street, address.get("district"), city]
    if cep:
        parts.append(gettext("CEP %(cep)s") % {"cep": format_cep(cep)})
    if address.get("country") and address["country"] != "BR":
        parts.append(address["country"])
    return " — ".join(part for part in parts if part)
