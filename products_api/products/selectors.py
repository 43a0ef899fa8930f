"""Reads of products_api."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from common.service_layer.selectors import ensure_exists, get_or_not_found
from products.models import Product, StockMovement


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def product_get(*, product_id: uuid.UUID) -> Product:
    """Raises common.api.errors.NotFound when no product has this id."""
    return get_or_not_found(Product.objects, pk=product_id)


def movement_list(*, product_id: uuid.UUID) -> QuerySet[StockMovement]:
    """The product's ledger, newest first. Raises common.api.errors.NotFound for an unknown
    product."""
    ensure_exists(Product.objects, pk=product_id)
    return StockMovement.objects.filter(product_id=product_id).order_by("-created_at", "-id")
