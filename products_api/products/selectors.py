"""Reads of products_api."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, F, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import Greatest

from common.service_layer.selectors import ensure_exists, get_or_not_found
from products.models import ACTIVE_BELOW_MINIMUM, Product, StockMovement, StockReservation


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
    """Raises common.api.errors.NotFound when no product has this id."""
    return get_or_not_found(Product.objects, pk=product_id)


def stock_answered_since(*, order_id: uuid.UUID | str, order_version: int, since: datetime) -> bool:
    """Whether the order's stock was answered, for ``order_version`` or a newer one, at
    ``since`` or later: one read of the reservation by its key. A re-asked answer (the
    same version again) does not move ``updated_at``, so it never counts."""
    return StockReservation.objects.filter(
        pk=order_id, order_version__gte=order_version, updated_at__gte=since
    ).exists()


def movement_list(*, product_id: uuid.UUID) -> QuerySet[StockMovement]:
    """The product's ledger, newest first. Raises common.api.errors.NotFound for an unknown
    product."""
    ensure_exists(Product.objects, pk=product_id)
    return StockMovement.objects.filter(product_id=product_id).order_by("-created_at", "-id")


# The stock panel (products_api's admin home, products.panel): one query per figure.

LOW_STOCK_SHOWN = 10
MOVEMENTS_SHOWN = 10


@dataclass(frozen=True)
class StockFigures:
    #: The sum of stock times price over every product, active or not (what is on the shelves).
    value: Decimal
    products: int
    #: Active products at or below their minimum.
    below_minimum: int


@dataclass(frozen=True)
class StockPanel:
    figures: StockFigures
    below_minimum: list[Product]
    movements: list[StockMovement]


def stock_figures() -> StockFigures:
    """The stock's value and how many products are below their minimum (one query)."""
    figures = Product.objects.aggregate(
        value=Sum(
            F("stock_quantity") * F("price"),
            output_field=DecimalField(max_digits=24, decimal_places=2),
        ),
        products=Count("pk"),
        below_minimum=Count("pk", filter=ACTIVE_BELOW_MINIMUM),
    )
    return StockFigures(
        value=figures["value"] or Decimal("0.00"),
        products=figures["products"],
        below_minimum=figures["below_minimum"],
    )


def products_below_minimum(*, limit: int = LOW_STOCK_SHOWN) -> list[Product]:
    """The active products at or below their minimum, the furthest below first (one
    query)."""
    return list(
        Product.objects.filter(ACTIVE_BELOW_MINIMUM).order_by(
            F("stock_quantity") - F("min_quantity"), "name"
        )[:limit]
    )


def recent_movements(*, limit: int = MOVEMENTS_SHOWN) -> list[StockMovement]:
    """The last movements of the ledger, newest first, with their products (one query)."""
    return list(
        StockMovement.objects.select_related("product").order_by("-created_at", "-id")[:limit]
    )


def stock_panel() -> StockPanel:
    """Every figure of the stock panel (three queries)."""
    return StockPanel(
        figures=stock_figures(),
        below_minimum=products_below_minimum(),
        movements=recent_movements(),
    )
