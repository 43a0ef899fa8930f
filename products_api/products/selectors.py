"""Reads of products_api."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from products.models import Product, StockMovement


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def product_get(*, product_id: uuid.UUID) -> Product:
    """Raises Http404 when no product has this id."""
    try:
        return Product.objects.get(pk=product_id)
    except Product.DoesNotExist as exc:
        raise Http404 from exc


def movement_list(*, product_id: uuid.UUID) -> QuerySet[StockMovement]:
    """The product's ledger, newest first. Raises Http404 for an unknown product."""
    if not Product.objects.filter(pk=product_id).exists():
        raise Http404
    return StockMovement.objects.filter(product_id=product_id).order_by("-created_at", "-id")
