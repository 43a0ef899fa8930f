"""products_api's problem codes (shared ones: ``common.errors.ErrorCode``)."""

from __future__ import annotations

from enum import StrEnum


class ProductErrorCode(StrEnum):
    STOCK_BELOW_ZERO = "stock_below_zero"
    STOCK_ABOVE_MAXIMUM = "stock_above_maximum"
