"""Reads of products_api."""

from __future__ import annotations

import uuid

from django.db.models import F, IntegerField, QuerySet, Value
from django.db.models.functions import Greatest

from common.selectors import ensure_exists, get_or_not_found
from products.models import Product, StockMovement


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


#: The reorder list's order unless its reader asks for another: the largest suggestion
#: first, then by name; the SKU (unique) last, so pages never overlap between ties.
REORDER_ORDERING = ("-suggested_quantity", "name", "sku")


def reorder_list() -> QuerySet[Product]:
    """What to buy: the active products whose ``available`` (stock less what open orders
    hold) is at or below their minimum, so every low-stock product is on it, and so is one
    whose stock is promised away. ``available`` and ``suggested_quantity`` (as the model's
    properties compute them) are aliases the database filters and orders by
    (``REORDER_ORDERING``); each row reads them from the model."""
    available = Greatest(F("stock_quantity") - F("reserved"), Value(0), output_field=IntegerField())
    return (
        Product.objects.filter(is_active=True)
        .alias(available=available)
        .filter(available__lte=F("min_quantity"))
        .alias(
            suggested_quantity=Greatest(
                F("max_quantity") - F("available"), Value(0), output_field=IntegerField()
            )
        )
    )


def product_get(*, product_id: uuid.UUID) -> Product:
    """Raises common.errors.NotFound when no product has this id."""
    return get_or_not_found(Product.objects, pk=product_id)


def movement_list(*, product_id: uuid.UUID) -> QuerySet[StockMovement]:
    """The product's ledger, newest first. Raises common.errors.NotFound for an unknown
    product."""
    ensure_exists(Product.objects, pk=product_id)
    return StockMovement.objects.filter(product_id=product_id).order_by("-created_at", "-id")
