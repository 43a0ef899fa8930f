"""products_api's problem codes (shared ones: ``common.errors.ErrorCode``) and their texts."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from common.errors import ErrorText, register_error_texts


class ProductErrorCode(StrEnum):
    STOCK_BELOW_ZERO = "stock_below_zero"
    STOCK_ABOVE_MAXIMUM = "stock_above_maximum"


register_error_texts(
    {
        ProductErrorCode.STOCK_BELOW_ZERO: ErrorText(
            _("Not enough stock"),
            _("Only %(stock)s units of %(sku)s in stock; %(requested)s requested."),
            status=409,
        ),
        ProductErrorCode.STOCK_ABOVE_MAXIMUM: ErrorText(
            _("Stock above its maximum"),
            _(
                "Stock of %(sku)s would be %(after)s, above its maximum of %(max)s "
                "(room for %(room)s more)."
            ),
            status=409,
        ),
    }
)
