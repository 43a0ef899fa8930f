"""Serializer fields every service shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.utils import html

from common.localization.forms import read_decimal


class UTCDateTimeField(serializers.DateTimeField):
    """A timestamp in ISO 8601, UTC (``2026-11-29T05:38:37.587101Z``), as docs/api.md promises.

    DRF's field looks up the active time zone for every value it writes (a
    context-local read that costs more than the formatting); a fixed UTC zone
    writes the same text without it.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)


class LocalizedDecimalField(serializers.DecimalField):
    """DRF's ``DecimalField``, whose HTML form data (the browsable API's forms) is read
    as people type it (common.localization.forms.read_decimal: ``8,99``, ``1.234,56``, ``8.99``) and
    whose form shows the value in the active language's format.

    JSON bodies are read as DRF reads them: ``"8.99"``; ``"8,99"`` is refused.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("style", {}).setdefault("template", "common/decimal_input.html")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        html_form = html.is_html_input(getattr(self.root, "initial_data", None))
        if html_form and isinstance(data, str) and data.strip():
            try:
                data = read_decimal(data)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages, code=error.code) from None
        return super().to_internal_value(data)
