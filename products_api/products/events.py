"""What products_api publishes: the whole product, stock included, on every change."""

from __future__ import annotations

from typing import Any

from common.events.recording import publishes
from products.models import Product


def product_data(product: Product) -> dict[str, Any]:
    return {
        "id": str(product.id),
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price": f"{product.price:.2f}",
        "is_active": product.is_active,
        "stock_quantity": product.stock_quantity,
        "min_quantity": product.min_quantity,
        "max_quantity": product.max_quantity,
        "low_stock": product.low_stock,
        "created_at": product.created_at.isoformat(),
        "updated_at": product.updated_at.isoformat(),
    }


def register() -> None:
    publishes(
        Product,
        type_prefix="products.product",
        to_data=product_data,
        deleted_when=lambda product: not product.is_active,
    )
