"""What products_api publishes: the whole product, stock included, on every change (and
``products.stock.low`` when a movement crosses the minimum: services._apply_movement);
and what it consumes: finished orders, and users_api's users for their revocations."""

from __future__ import annotations

from typing import Any

from common import revocations
from common.events.consumer import handles
from common.events.recording import publishes
from products import services
from products.models import Product, StockIssue


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


def stock_issue_data(issue: StockIssue) -> dict[str, Any]:
    return {
        "order_id": str(issue.id),
        "order_number": issue.order_number,
        "status": issue.status,
        "reason": issue.reason,
        "lines": issue.lines,
        "shortages": issue.shortages,
    }


def register() -> None:
    publishes(
        Product,
        type_prefix="products.product",
        to_data=product_data,
        deleted_when=lambda product: not product.is_active,
    )
    publishes(
        StockIssue,
        type_prefix="products.stock",
        to_data=stock_issue_data,
        action=lambda issue, created: issue.status,
        repeat_action=lambda issue: issue.status,
    )
    revocations.consume()


@handles("orders.order.finished")
def issue_stock(event: dict[str, Any]) -> None:
    data = event["data"]
    services.stock_issue_for_order(
        order_id=event["aggregate_id"], order_number=data["number"], items=data["items"]
    )


def _lock_batch_products(events: list[dict[str, Any]]) -> None:
    """Before a batch's finished orders are issued: all their products locked, sorted."""
    services.stock_issue_lock_products(orders=[event["data"]["items"] for event in events])


issue_stock.prepare_batch = _lock_batch_products  # type: ignore[attr-defined]
