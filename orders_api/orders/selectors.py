"""Reads of orders_api."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from common.selectors import get_or_not_found
from orders.models import ClientSnapshot, Order, ProductSnapshot


def order_list() -> QuerySet[Order]:
    """Orders with their items prefetched: a constant number of queries per page."""
    return Order.objects.prefetch_related("items")


def order_get(*, order_id: uuid.UUID) -> Order:
    """Raises common.errors.NotFound when no order has this id."""
    return get_or_not_found(order_list(), pk=order_id)


def client_snapshot_get(*, client_id: uuid.UUID) -> ClientSnapshot:
    """Raises common.errors.NotFound when no copy of this client is here."""
    return get_or_not_found(ClientSnapshot.objects, pk=client_id)


def product_snapshot_get(*, product_id: uuid.UUID) -> ProductSnapshot:
    """Raises common.errors.NotFound when no copy of this product is here."""
    return get_or_not_found(ProductSnapshot.objects, pk=product_id)
