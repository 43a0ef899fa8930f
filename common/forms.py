"""Reading numbers as people type them in the back offices' forms
(docs/adr/0066-brazilian-decimals.md, "Decimals typed the Brazilian way").

The admin forms and the browsable API's HTML forms take ``8,99``, ``1.234,56`` and
``8.99``; the JSON API keeps ``"8.99"`` (common.fields.LocalizedDecimalField reads only
HTML form data this way). What cannot be read one way only is refused, never guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext

_DIGITS_AND_SEPARATORS = re.compile(r"\d+(?:[.,]\d+)*")


def _grouped(text: str, separator: str) -> bool:
    """Whether ``text`` is a whole number written in groups of three (``1.234.567``)."""
    return re.fullmatch(rf"[1-9]\d{{0,2}}(?:{re.escape(separator)}\d{{3}})+", text) is not None


def read_decimal(text: str) -> str:
    """The number typed in ``text`` as a decimal's text with a dot (``"1234.56"``).

    The active language's separators are read (pt-BR ``1.234,56``, English ``1,234.56``),
    and the other language's decimal point where nothing else can be meant (``8.99`` in
    pt-BR, ``8,99`` in English). Raises ValidationError with code ``ambiguous`` when the
    text reads two ways (``1.234`` in pt-BR: a thousand and more, or one and a fraction),
    and ``invalid`` when it reads none (``1,234.56`` in pt-BR, ``12.34,5``, ``8,9,9``).
    Digits are never dropped or moved: the result is the number the person wrote.
    """
    decimal_separator = get_format("DECIMAL_SEPARATOR")
    group_separator = get_format("THOUSAND_SEPARATOR")
    value = text.strip()
    sign = value[:1] if value[:1] in "+-" else ""
    body = value[len(sign) :]
    if not _DIGITS_AND_SEPARATORS.fullmatch(body):
        raise _invalid()
    if decimal_separator in body:
        whole, fraction = body.split(decimal_separator, 1)
        if not fraction.isdigit() or not (whole.isdigit() or _grouped(whole, group_separator)):
            raise _invalid()
        return f"{sign}{whole.replace(group_separator, '')}.{fraction}"
    if group_separator not in body:
        return f"{sign}{body}"
    if _grouped(body, group_separator):
        if body.count(group_separator) == 1:
            raise _ambiguous(typed=value, sign=sign, body=body, separator=group_separator)
        return f"{sign}{body.replace(group_separator, '')}"
    if body.count(group_separator) == 1:
        return f"{sign}{body.replace(group_separator, '.')}"
    raise _invalid()


def _invalid() -> ValidationError:
    examples = {
        "grouped": number_format(Decimal("1234.56"), 2, use_l10n=True, force_grouping=True),
        "simple": number_format(Decimal("8.99"), 2, use_l10n=True),
    }
    return ValidationError(
        gettext("Type a number such as %(grouped)s or %(simple)s.") % examples, code="invalid"
    )


def _ambiguous(*, typed: str, sign: str, body: str, separator: str) -> ValidationError:
    readings = {
        "typed": typed,
        "whole": sign
        + number_format(
            Decimal(body.replace(separator, "")), 2, use_l10n=True, force_grouping=True
        ),
        "fraction": sign + body.replace(separator, get_format("DECIMAL_SEPARATOR")),
    }
    message = gettext(
        "“%(typed)s” can be read two ways: type %(whole)s for the whole amount, "
        "or %(fraction)s if the separator marks the decimals."
    )
    return ValidationError(message % readings, code="ambiguous")


class LocalizedDecimalField(forms.DecimalField):
    """A decimal for people: typed as ``read_decimal`` reads it, shown in the active
    language's format (``8,99`` in pt-BR) in a text box with a decimal keypad on phones.

    A number input would not do: browsers drop the comma of ``8,99`` there and send 899.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["localize"] = True
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str) and value.strip():
            # A Decimal, not text: Django's own separator handling must not read it again.
            value = Decimal(read_decimal(value))
        return super().to_python(value)
