"""What products_api publishes: the whole product, stock included, on every change, and
its answers to orders' stock (reservations), and ``products.stock.low`` when a movement
crosses the minimum (services._apply_movement); and what it consumes: orders' events, and
users_api's users for their revocations."""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_datetime

from common.auth import revocations
from common.events.consumer import handles
from common.events.recording import publishes
from products import selectors, services
from products.models import Product, StockIssue, StockReservation


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
        "reserved": product.reserved,
        "available": product.available,
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


def stock_reservation_data(reservation: StockReservation) -> dict[str, Any]:
    """The answer to an order's stock: the shape of ``stock_issue_data``, plus the order's
    version it answers (orders_api takes no answer to a version older than its ask), and
    the products the answer moved, each whole at its new version (``product_data`` and
    ``version``): their own ``products.product.updated`` is not published (ADR 0146).
    A repeat carries none; the sweep re-publishes the products themselves."""
    return {
        "order_id": str(reservation.id),
        "order_number": reservation.order_number,
        "order_version": reservation.order_version,
        "status": reservation.status,
        # For a person reading the event; the shortages are the facts.
        "reason": (
            "Not enough stock for "
            + ", ".join(item["sku"] or item["product_id"] for item in reservation.shortages)
            if reservation.shortages
            else ""
        ),
        "lines": reservation.lines,
        "shortages": reservation.shortages,
        "products": [
            {**product_data(product), "version": product.version}
            for product in reservation.moved_products
        ],
    }


def register() -> None:
    publishes(
        Product,
        type_prefix="products.product",
        to_data=product_data,
        deleted_when=lambda product: not product.is_active,
        carried=True,
    )
    publishes(
        StockIssue,
        type_prefix="products.stock",
        to_data=stock_issue_data,
        action=lambda issue, created: issue.status,
        repeat_action=lambda issue: issue.status,
    )
    publishes(
        StockReservation,
        type_prefix="products.stock",
        to_data=stock_reservation_data,
        action=lambda reservation, created: reservation.status,
        repeat_action=lambda reservation: reservation.status,
    )
    revocations.consume()


@handles(
    "orders.order.created",
    "orders.order.updated",
    "orders.order.finished",
    "orders.order.cancelled",
)
def reserve_stock(event: dict[str, Any]) -> None:
    """Every order event: orders_api asks (``stock_status`` pending) when the order's
    lines or status changed; the others need nothing (``_reserve_all``)."""
    _reserve_all([event])


def _reserve_all(events: list[dict[str, Any]]) -> None:
    """A run of order events, their asks applied together (``stock_reservations_sync``:
    one read of the reservations, one of the products, one INSERT of the ledger).

    An event that does not ask costs nothing, not even a query: orders_api leaves
    ``pending`` only on the answer to its latest ask, so such an event is newer than
    every ask already answered, and noting its version would change no later decision
    (half of the order events are these: the answers' own ``orders.order.updated``)."""
    asks = [
        services.StockAsk(
            order_id=event["aggregate_id"],
            order_number=event["data"]["number"],
            order_version=event["version"],
            order_status=event["data"]["status"],
            items=event["data"]["items"],
        )
        for event in events
        if _asks(event)
    ]
    if asks:
        services.stock_reservations_sync(asks=asks)


def _asks(event: dict[str, Any]) -> bool:
    return event["data"].get("stock_status") == "pending"


def _lock_batch(events: list[dict[str, Any]]) -> None:
    """Before a batch's orders change what they hold: the reservations and all the
    products of the orders that ask, each sorted (the others change nothing)."""
    asking = [event for event in events if _asks(event)]
    if asking:
        services.stock_reservations_lock(
            orders=[(event["aggregate_id"], event["data"]["items"]) for event in asking]
        )


def _asks_anew(event: dict[str, Any]) -> bool:
    """An order event that does not ask (half of them: the answers' own echo) needs
    nothing here, not even its inbox row (ADR 0144); nor does a repeat of an ask
    (orders_api's sweep) made before this service answered that version or a newer
    one: the repeat crossed the answer, which is on its way (ADR 0147). A backlog
    behind this worker would otherwise be answered once more per sweep while it lasts.
    Only such a repeat costs a read; an ask repeated after the answer (it was lost) is
    answered again."""
    if not _asks(event):
        return False
    repeated_at = parse_datetime(str(event.get("repeated_at", "")))
    if not event.get("repeat") or repeated_at is None:
        return True
    return not selectors.stock_answered_since(
        order_id=event["aggregate_id"], order_version=event["version"], since=repeated_at
    )


reserve_stock.prepare_batch = _lock_batch  # type: ignore[attr-defined]
reserve_stock.apply_many = _reserve_all  # type: ignore[attr-defined]
reserve_stock.wants = _asks_anew  # type: ignore[attr-defined]
