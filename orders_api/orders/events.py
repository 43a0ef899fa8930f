"""What orders_api publishes (the whole order), the copies it keeps from other services, and
users_api's users it consumes for their revocations (common.auth.revocations)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q

from common.auth import revocations
from common.events.consumer import handles
from common.events.recording import publishes
from common.events.snapshots import CopyChange, apply_all_if_newer, copies
from orders import selectors, services
from orders.models import ClientSnapshot, Order, ProductSnapshot


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def order_data(order: Order) -> dict[str, Any]:
    return {
        "id": str(order.id),
        "number": order.number,
        "client_id": str(order.client_id),
        "client_name": order.client_name,
        "shipping_address": order.shipping_address,
        "status": order.status,
        "stock_status": order.stock_status,
        "stock_reason": order.stock_reason,
        "stock_shortages": order.stock_shortages,
        "notes": order.notes,
        "cancel_reason": order.cancel_reason,
        "total": _money(order.total),
        "items": [
            {
                "id": str(item.id),
                "product_id": str(item.product_id),
                "sku": item.sku,
                "product_name": item.product_name,
                "quantity": item.quantity,
                "unit_price": _money(item.unit_price),
                "total": _money(item.total),
            }
            # all(), not order_by(): items the service has at hand are not read again.
            for item in sorted(order.items.all(), key=lambda item: (item.created_at, item.id))
        ],
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }


def _order_action(order: Order, created: bool) -> str:
    if created:
        return "created"
    if order.status != order.loaded_status and order.status in (
        Order.Status.FINISHED,
        Order.Status.CANCELLED,
    ):
        return order.status
    return "updated"


def _order_repeat_action(order: Order) -> str:
    # Re-published while its stock is pending, an order is asked again as it was asked:
    # a finished order as a `finished`, a cancelled one as a `cancelled`.
    if order.status in (Order.Status.FINISHED, Order.Status.CANCELLED):
        return order.status
    return "updated"


def _stock_to_ask_again(order_ids: set[Any]) -> set[Any]:
    return selectors.orders_stock_to_ask_again(order_ids=order_ids)


def register() -> None:
    publishes(
        Order,
        type_prefix="orders.order",
        to_data=order_data,
        action=_order_action,
        repeat_action=_order_repeat_action,
        # Until products_api's answer arrives (reserve, issue or release), a sweep
        # re-publishes the order, unless it waits behind asks being answered (ADR 0147).
        unsettled=Q(stock_status=Order.StockStatus.PENDING),
        unsettled_due=_stock_to_ask_again,
        prefetch=("items",),
    )
    revocations.consume()


@copies(
    ClientSnapshot, "clients.client.created", "clients.client.updated", "clients.client.deleted"
)
def copy_client(event: dict[str, Any]) -> dict[str, Any]:
    data = event["data"]
    values = {
        "kind": data["kind"],
        "name": data["name"],
        "document": data["document"],
        "email": data.get("email", ""),
        "phone": data.get("phone", ""),
        "is_active": data["is_active"] and not event["type"].endswith(".deleted"),
        "addresses": data.get("addresses", []),
    }
    # The copies are upserted without save(): their search text comes with the values.
    return dict(values, search_text=ClientSnapshot(**values).current_search_text())


@copies(
    ProductSnapshot,
    "products.product.created",
    "products.product.updated",
    "products.product.deleted",
)
def copy_product(event: dict[str, Any]) -> dict[str, Any]:
    return _product_copy_values(event["data"], deleted=event["type"].endswith(".deleted"))


def _product_copy_values(data: dict[str, Any], *, deleted: bool = False) -> dict[str, Any]:
    """A product copy's fields from the product as products_api publishes it."""
    values = {
        "sku": data["sku"],
        "name": data["name"],
        "price": Decimal(data["price"]),
        "is_active": data["is_active"] and not deleted,
        "stock_quantity": data["stock_quantity"],
        # A product published before reservations holds nothing: all of it is available.
        "available": data.get("available", data["stock_quantity"]),
        "min_quantity": data["min_quantity"],
        "max_quantity": data["max_quantity"],
    }
    return dict(values, search_text=ProductSnapshot(**values).current_search_text())


@handles(
    "products.stock.reserved",
    "products.stock.refused",
    "products.stock.issued",
    "products.stock.released",
    "products.stock.rejected",
)
def record_stock_answer(event: dict[str, Any]) -> None:
    """products_api's answer about an order's stock (``rejected``: its answer to an order
    finished before reservations, i.e. refused), and the products it moved: their copies
    move to the versions it carries, newest wins with their own events (ADR 0146)."""
    _record_stock_answers([event])


def _record_stock_answers(events: list[dict[str, Any]]) -> None:
    """A run of answers in a batch, as one at a time would apply them: every order
    locked in one statement, every carried product's copy moved in two."""
    services.orders_stock_answered(answers=[_stock_answer(event) for event in events])
    apply_all_if_newer(
        ProductSnapshot,
        [
            # Not a repeat of the products' own events: a carried version is never a repair.
            CopyChange(
                product["id"],
                product["version"],
                _product_copy_values(product),
                {**event, "repeat": False},
            )
            for event in events
            for product in event["data"].get("products", ())
        ],
    )


def _stock_answer(event: dict[str, Any]) -> services.StockAnswer:
    data = event["data"]
    answer = event["type"].rsplit(".", 1)[1]
    return services.StockAnswer(
        order_id=event["aggregate_id"],
        answer=Order.StockStatus.REFUSED if answer == "rejected" else Order.StockStatus(answer),
        order_version=data.get("order_version"),
        reason=data.get("reason", ""),
        shortages=data.get("shortages", []),
    )


def _answers_awaited(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answers less the repeats (products_api's sweep) of answers to orders no
    longer pending: ``orders_stock_answered`` would change nothing with them (only a
    pending order takes an answer), and a repeat carries no products (ADR 0146). One
    read for the batch; the originals are all kept. A sweep re-publishes every answer
    of its last two intervals, so nearly all of them are already taken (ADR 0149)."""
    repeats = {str(event["aggregate_id"]) for event in events if event.get("repeat")}
    if not repeats:
        return events
    awaited = selectors.orders_awaiting_stock(order_ids=repeats)
    return [
        event
        for event in events
        if not event.get("repeat") or str(event["aggregate_id"]) in awaited
    ]


record_stock_answer.wants_many = _answers_awaited  # type: ignore[attr-defined]
record_stock_answer.apply_many = _record_stock_answers  # type: ignore[attr-defined]
