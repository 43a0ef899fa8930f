"""Orders out to spreadsheets (common.admin.spreadsheets): one row per item, its order's
columns repeated (an order without items has one row, its item columns blank)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from common.admin.spreadsheets import Column, Export
from orders.models import Order, OrderItem


def _label(model: type, field: str) -> Any:
    return model._meta.get_field(field).verbose_name


COLUMNS = (
    Column("number", _label(Order, "number"), "integer"),
    Column("created_at", _label(Order, "created_at"), "datetime"),
    Column("status", _label(Order, "status")),
    Column("stock_status", _label(Order, "stock_status")),
    Column("client", _label(Order, "client_name")),
    Column("order_total", _("order total"), "decimal"),
    Column("sku", _label(OrderItem, "sku")),
    Column("product_name", _label(OrderItem, "product_name")),
    Column("quantity", _label(OrderItem, "quantity"), "integer"),
    Column("unit_price", _label(OrderItem, "unit_price"), "decimal"),
    Column("item_total", _("item total"), "decimal"),
)


def _rows(queryset: Any) -> Iterator[Sequence[Any]]:
    # Items are read with their orders, a chunk of orders at a time (two queries each).
    for order in queryset.prefetch_related("items").iterator(chunk_size=500):
        head = [
            order.number,
            order.created_at,
            order.get_status_display(),
            order.get_stock_status_display(),
            order.client_name,
            order.total,
        ]
        items = order.items.all()
        if not items:
            yield [*head, None, None, None, None, None]
        for item in items:
            yield [*head, item.sku, item.product_name, item.quantity, item.unit_price, item.total]


EXPORT = Export(file_name=_("orders"), columns=COLUMNS, rows=_rows)
