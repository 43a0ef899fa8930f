"""Reads of orders_api."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from orders.models import ClientSnapshot, Order, OrderItem, ProductSnapshot


def order_list() -> QuerySet[Order]:
    """Orders with their items prefetched: a constant number of queries per page."""
    return Order.objects.prefetch_related("items")


def order_get(*, order_id: uuid.UUID) -> Order:
    """Raises Http404 when no order has this id."""
    try:
        return order_list().get(pk=order_id)
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def order_item_get(*, item_id: uuid.UUID) -> OrderItem:
    try:
        return OrderItem.objects.get(pk=item_id)
    except OrderItem.DoesNotExist as exc:
        raise Http404 from exc


def client_snapshot_list() -> QuerySet[ClientSnapshot]:
    return ClientSnapshot.objects.all()


def product_snapshot_list() -> QuerySet[ProductSnapshot]:
    return ProductSnapshot.objects.all()
