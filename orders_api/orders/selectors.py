"""Reads of orders_api."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet

from common.api.errors import NotFound
from common.fastpath.queries import CompiledQuery, with_prefetched
from common.service_layer.selectors import get_or_not_found
from orders.models import ClientSnapshot, Order, OrderItem, ProductSnapshot

# The order detail's two reads, compiled once (CompiledQuery: a third of the request).
_ORDER = CompiledQuery(lambda order_id: Order.objects.filter(pk=order_id).order_by())
_ITEMS = CompiledQuery(lambda order_id: OrderItem.objects.filter(order_id=order_id))
# Order creation's reads of the local copies.
_CLIENT = CompiledQuery(lambda client_id: ClientSnapshot.objects.filter(pk=client_id).order_by())
_PRODUCTS = CompiledQuery(lambda *ids: ProductSnapshot.objects.filter(pk__in=ids).order_by())


def order_list() -> QuerySet[Order]:
    """Orders with their items prefetched: a constant number of queries per page."""
    return Order.objects.prefetch_related("items")


def open_order_ids_awaiting_stock() -> list[uuid.UUID]:
    """The open orders whose stock products_api has not answered (``pending``), by number."""
    return list(
        Order.objects.filter(status=Order.Status.OPEN, stock_status=Order.StockStatus.PENDING)
        .order_by("number")
        .values_list("pk", flat=True)
    )


def order_get(*, order_id: uuid.UUID) -> Order:
    """The order with its items prefetched, as ``order_list`` gives it. Raises
    common.api.errors.NotFound when no order has this id."""
    found = _ORDER(order_id)
    if not found:
        raise NotFound()
    order = found[0]
    with_prefetched(order, "items", _ITEMS(order_id))
    return order


def order_item_get(*, order_id: uuid.UUID, item_id: uuid.UUID) -> OrderItem:
    """The line ``item_id`` of the order ``order_id``. Raises common.api.errors.NotFound
    when that order has no such line."""
    return get_or_not_found(OrderItem.objects, pk=item_id, order_id=order_id)


def client_snapshot_or_none(*, client_id: uuid.UUID) -> ClientSnapshot | None:
    """The copy of this client, or None (one compiled read)."""
    found = _CLIENT(client_id)
    return found[0] if found else None


def product_snapshots_by_id(
    *, product_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ProductSnapshot]:
    """The copies of these products that are here, by id (as ``in_bulk``)."""
    return {product.pk: product for product in _PRODUCTS(*dict.fromkeys(product_ids))}


def client_snapshot_get(*, client_id: uuid.UUID) -> ClientSnapshot:
    """Raises common.api.errors.NotFound when no copy of this client is here."""
    return get_or_not_found(ClientSnapshot.objects, pk=client_id)


def product_snapshot_get(*, product_id: uuid.UUID) -> ProductSnapshot:
    """Raises common.api.errors.NotFound when no copy of this product is here."""
    return get_or_not_found(ProductSnapshot.objects, pk=product_id)
