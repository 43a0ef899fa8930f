"""orders_api's refusals: its problem codes and the errors that carry them."""

from __future__ import annotations

from enum import StrEnum

from common.errors import Unprocessable


class OrderErrorCode(StrEnum):
    """Codes only orders_api answers with (shared ones: ``common.errors.ErrorCode``)."""

    INVALID_REFERENCE = "invalid_reference"
    ORDER_NOT_OPEN = "order_not_open"
    ORDER_EMPTY = "order_empty"
    INSUFFICIENT_STOCK = "insufficient_stock"
    ORDER_NOT_CANCELLABLE = "order_not_cancellable"
    TOO_MANY_ITEMS = "too_many_items"
    CLIENT_INACTIVE = "client_inactive"
    PRODUCT_INACTIVE = "product_inactive"


class InvalidReference(Unprocessable):
    """422: the request names a client, product or address this service cannot use."""

    default_code = OrderErrorCode.INVALID_REFERENCE

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(
            "The request refers to something that cannot be used.", extra={"errors": errors}
        )
