"""Reads of orders_api."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from common.selectors import get_or_not_found
from orders.models import Order, OrderItem


def order_list() -> QuerySet[Order]:
    """Orders with their items prefetched: a constant number of queries per page."""
    return Order.objects.prefetch_related("items")


def order_get(*, order_id: uuid.UUID) -> Order:
    """Raises common.errors.NotFound when no order has this id."""
    return get_or_not_found(order_list(), pk=order_id)


def order_item_get(*, item_id: uuid.UUID) -> OrderItem:
    """Raises common.errors.NotFound when no order item has this id."""
    return get_or_not_found(OrderItem.objects, pk=item_id)
