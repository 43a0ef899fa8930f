"""Template filters for numbers shown to people in the active language's format."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

from common.localization import formats

register = template.Library()

_API_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


@register.filter
def localized_decimal(value: Any) -> Any:
    """A decimal as the JSON API writes it (``"8.99"``) in the active language's format
    (``8,99`` in pt-BR); anything else (what a person typed) as it is."""
    if isinstance(value, str) and _API_DECIMAL.fullmatch(value):
        return number_format(Decimal(value), use_l10n=True)
    return value


@register.filter
def brl(value: Any) -> str:
    """Reais in the active language's format: R$ 1.234,56 in pt-BR
    (common.localization.formats.brl)."""
    return formats.brl(value)
