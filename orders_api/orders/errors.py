"""orders_api's refusals: its problem codes, their texts and the errors that carry them."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from common.errors import TITLES, ErrorText, Unprocessable, register_error_texts


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


register_error_texts(
    {
        OrderErrorCode.INVALID_REFERENCE: ErrorText(
            TITLES[422], _("The request refers to something that cannot be used."), status=422
        ),
        OrderErrorCode.ORDER_NOT_OPEN: ErrorText(
            _("Order not open"),
            _("Order #%(number)s is %(status)s; only open orders change."),
            status=409,
        ),
        OrderErrorCode.ORDER_EMPTY: ErrorText(
            _("Order without items"),
            _("Order #%(number)s has no items; add one before finishing."),
            status=409,
        ),
        OrderErrorCode.INSUFFICIENT_STOCK: ErrorText(
            _("Not enough stock"), _("Not enough stock for %(skus)s."), status=409
        ),
        OrderErrorCode.ORDER_NOT_CANCELLABLE: ErrorText(
            _("Order cannot be cancelled"),
            _("Order #%(number)s is %(status)s; it cannot be cancelled."),
            status=409,
        ),
        OrderErrorCode.TOO_MANY_ITEMS: ErrorText(
            _("Too many items"), _("An order holds at most %(max_items)s items."), status=409
        ),
        OrderErrorCode.CLIENT_INACTIVE: ErrorText(
            _("Client deactivated"),
            _("The client of order #%(number)s has been deactivated; it cannot be finished."),
            status=409,
        ),
        OrderErrorCode.PRODUCT_INACTIVE: ErrorText(
            _("Product deactivated"),
            _("Products %(skus)s have been deactivated; order #%(number)s cannot be finished."),
            status=409,
        ),
    }
)


class InvalidReference(Unprocessable):
    """422: the request names a client, product or address this service cannot use."""

    default_code = OrderErrorCode.INVALID_REFERENCE

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(extra={"errors": errors})
