"""Write use-cases of products_api. Each runs in one transaction; saving a product (or a
stock issue) records its event in that transaction, published after commit by the relay.

Stock changes only here, through ``stock_movement_create``: the product row is
locked (``select_for_update``), the bounds are checked, the product is saved
(so its event is recorded) and the ledger row written, all in one transaction.
The database's check constraints stand behind every check. A movement that takes
the stock to its minimum or below, from above it, also records ``products.stock.low``
(docs/events.md, "Low stock").

Errors: ``ValidationError`` keyed by field (400), ``NotFound`` (404),
``PreconditionFailed`` (412), ``DomainError`` 409 ``stock_below_zero`` /
``stock_above_maximum`` naming the quantities.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from common.actors import Actor
from common.errors import DomainError
from common.events.recording import publication_of, record, republish
from common.services import lock, model_update, save_unique
from products.errors import ProductErrorCode
from products.models import Product, StockIssue, StockMovement

PRODUCT_FIELDS = frozenset(
    {"sku", "name", "description", "price", "is_active", "min_quantity", "max_quantity"}
)


def normalize_sku(sku: str) -> str:
    return sku.strip().upper()


def _check_bounds(product: Product) -> None:
    errors: dict[str, list[str]] = {}
    if product.price < Decimal("0"):
        errors["price"] = [gettext("The price cannot be negative.")]
    if product.min_quantity > product.max_quantity:
        errors["min_quantity"] = [
            gettext("The minimum (%(min)s) cannot be above the maximum (%(max)s).")
            % {"min": product.min_quantity, "max": product.max_quantity}
        ]
    if product.stock_quantity > product.max_quantity:
        errors["max_quantity"] = [
            gettext("The maximum cannot be below the current stock (%(stock)s).")
            % {"stock": product.stock_quantity}
        ]
    if errors:
        raise ValidationError(errors)


def _save_product(product: Product) -> None:
    product.sku = normalize_sku(product.sku)
    save_unique(
        product,
        unique={
            "sku": gettext("A product with SKU %(sku)s already exists.") % {"sku": product.sku}
        },
        validate=_check_bounds,
    )


def _movement(
    product: Product,
    *,
    kind: str,
    quantity: int,
    before: int,
    reason: str = "",
    reason_code: str = "",
    reason_params: dict[str, Any] | None = None,
    reference: str,
    actor: Actor | None,
) -> StockMovement:
    return StockMovement.objects.create(
        product=product,
        kind=kind,
        quantity=quantity,
        delta=product.stock_quantity - before,
        quantity_before=before,
        quantity_after=product.stock_quantity,
        reason=reason,
        reason_code=reason_code,
        reason_params=reason_params or {},
        reference=reference,
        created_by=actor.id if actor else "",
        created_by_username=actor.username if actor else "",
    )


@transaction.atomic
def product_create(
    *,
    actor: Actor | None,
    sku: str,
    name: str,
    price: Decimal,
    max_quantity: int,
    min_quantity: int = 0,
    description: str = "",
    is_active: bool = True,
    stock_quantity: int = 0,
) -> Product:
    """Creates a product; an initial stock is recorded as its first movement.

    Publishes one ``products.product.created`` (with the initial stock).
    """
    product = Product(
        sku=sku,
        name=name.strip(),
        description=description,
        price=price,
        is_active=is_active,
        min_quantity=min_quantity,
        max_quantity=max_quantity,
        stock_quantity=stock_quantity,
    )
    _save_product(product)
    if stock_quantity:
        _movement(
            product,
            kind=StockMovement.Kind.IN,
            quantity=stock_quantity,
            before=0,
            reason_code=StockMovement.ReasonCode.INITIAL_STOCK,
            reference="",
            actor=actor,
        )
    return product


@transaction.atomic
def product_update(
    *, actor: Actor | None, product_id: uuid.UUID, expected_version: int | None, **changes: Any
) -> Product:
    """Changes catalogue fields (PRODUCT_FIELDS); never the stock. Publishes one event."""
    product = lock(Product, product_id, expected_version=expected_version)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    model_update(product, fields=PRODUCT_FIELDS, data=changes)
    _save_product(product)
    return product


@transaction.atomic
def product_deactivate(
    *, actor: Actor | None, product_id: uuid.UUID, expected_version: int | None
) -> Product:
    """DELETE of a product: deactivates it (publishes ``deleted``); a no-op when inactive."""
    product = lock(Product, product_id, expected_version=expected_version)
    if product.is_active:
        product.is_active = False
        product.save()
    return product


def _new_quantity(product: Product, kind: str, quantity: int) -> int:
    if kind == StockMovement.Kind.IN:
        return product.stock_quantity + quantity
    if kind == StockMovement.Kind.OUT:
        return product.stock_quantity - quantity
    return quantity


@transaction.atomic
def stock_movement_create(
    *,
    actor: Actor | None,
    product_id: uuid.UUID,
    kind: str,
    quantity: int,
    reason: str,
    reference: str = "",
) -> StockMovement:
    """Moves stock in, out, or to a counted quantity (adjustment).

    Raises DomainError 409 when the stock would go below zero or above the
    maximum, naming the stock, the request and the limit. Publishes one
    ``products.product.updated``.
    """
    if kind not in StockMovement.Kind.values:
        raise ValidationError(
            {
                "kind": [
                    gettext("Use one of: %(kinds)s.")
                    % {"kinds": ", ".join(StockMovement.Kind.values)}
                ]
            }
        )
    if quantity < 0 or (quantity == 0 and kind != StockMovement.Kind.ADJUSTMENT):
        raise ValidationError({"quantity": [gettext("Move at least one unit.")]})
    if not reason.strip():
        raise ValidationError({"reason": [gettext("Say why the stock moves.")]})
    return _apply_movement(
        lock(Product, product_id),
        kind=kind,
        quantity=quantity,
        reason=reason.strip(),
        reference=reference.strip(),
        actor=actor,
    )


def _refusal(product: Product, kind: str, quantity: int) -> DomainError | None:
    """Why moving ``quantity`` would break the product's bounds, or None."""
    before = product.stock_quantity
    after = _new_quantity(product, kind, quantity)
    facts = {
        "stock_quantity": before,
        "requested": quantity,
        "kind": kind,
        "max_quantity": product.max_quantity,
    }
    if after < 0:
        return DomainError(
            code=ProductErrorCode.STOCK_BELOW_ZERO,
            params={"stock": before, "sku": product.sku, "requested": quantity},
            extra=facts,
        )
    if after > product.max_quantity:
        return DomainError(
            code=ProductErrorCode.STOCK_ABOVE_MAXIMUM,
            params={
                "sku": product.sku,
                "after": after,
                "max": product.max_quantity,
                "room": product.max_quantity - before,
            },
            extra=facts,
        )
    return None


def _apply_movement(
    product: Product,
    *,
    kind: str,
    quantity: int,
    reason: str = "",
    reason_code: str = "",
    reason_params: dict[str, Any] | None = None,
    reference: str,
    actor: Actor | None,
) -> StockMovement:
    """Moves the stock of a product the caller has locked. Raises DomainError 409.
    ``reason`` is a person's; the system's movements give ``reason_code`` and its params."""
    refusal = _refusal(product, kind, quantity)
    if refusal is not None:
        raise refusal
    before = product.stock_quantity
    was_low = product.low_stock
    product.stock_quantity = _new_quantity(product, kind, quantity)
    # The row is locked and nothing else changed: the UPDATE sets the stock, the
    # version and the time only (the event still carries the whole product).
    product.save(update_fields=["stock_quantity"])
    if product.low_stock and not was_low:
        _record_stock_low(product)
    return _movement(
        product,
        kind=kind,
        quantity=quantity,
        before=before,
        reason=reason,
        reason_code=reason_code,
        reason_params=reason_params,
        reference=reference,
        actor=actor,
    )


STOCK_LOW = "products.stock.low"


def _stock_low_data(product: Product) -> dict[str, Any]:
    """The product as its ``products.product.*`` events carry it, and what to buy."""
    return {
        **publication_of(Product).to_data(product),
        "reserved": product.reserved,
        "available": product.available,
        "suggested_quantity": product.suggested_quantity,
    }


def _record_stock_low(product: Product) -> None:
    """Records ``products.stock.low`` for a product whose stock just crossed its minimum
    downwards (``low_stock`` false → true), in the change's transaction.

    Only the crossing publishes: movements while the stock stays low publish nothing
    more, and the next crossing needs the stock back above the minimum first. The event
    travels in the product's stream (after its ``products.product.updated``, at the same
    version), so it leaves in order with the product's other events.
    """
    signal = dataclasses.replace(publication_of(Product), to_data=_stock_low_data)
    record(signal, product, STOCK_LOW)


def _shortage(product_id: str, product: Product | None, quantity: int) -> dict[str, Any] | None:
    if product is None:
        return {"product_id": product_id, "sku": "", "requested": quantity, "available": 0}
    if _refusal(product, StockMovement.Kind.OUT, quantity) is None:
        return None
    return {
        "product_id": product_id,
        "sku": product.sku,
        "requested": quantity,
        "available": product.stock_quantity,
    }


def products_lock(*, product_ids: Iterable[uuid.UUID | str]) -> dict[str, Product]:
    """Locks the products (those that exist) until the transaction ends; returns them
    by id (as text). The caller must be in a transaction.

    One ``SELECT ... FOR UPDATE ... ORDER BY id``: rows are locked in id order, the
    one order every writer of several products takes (a writer of one product is
    in order by itself), so two writers cannot wait on each other in a cycle.
    Locking again a row this transaction holds costs a read and waits on nobody.
    """
    ids = sorted({str(product_id) for product_id in product_ids})
    if not ids:
        return {}
    locked = Product.objects.select_for_update().filter(pk__in=ids).order_by("id")
    return {str(product.pk): product for product in locked}


def stock_issue_lock_products(*, orders: Iterable[list[dict[str, Any]]]) -> None:
    """Locks every product the orders' items name, in one sorted statement
    (``products_lock``), before any of them is issued.

    A batch of ``orders.order.finished`` events is applied in one transaction:
    each event locking its own products would lock across the batch in no global
    order, and two workers applying crossing batches would deadlock (as they did
    on PostgreSQL in the cluster drill, dragging an API edit into the cycle).
    """
    products_lock(product_ids=(item["product_id"] for items in orders for item in items))


@transaction.atomic
def stock_issue_for_order(
    *, order_id: uuid.UUID, order_number: int, items: list[dict[str, Any]]
) -> StockIssue:
    """Takes a finished order's items out of stock: all of them, or none.

    Products are locked in a fixed order (by id, ``products_lock``) so concurrent
    orders cannot deadlock; a batch of orders locks all its products first
    (``stock_issue_lock_products``). Publishes ``products.stock.issued`` (and one
    ``products.product.updated`` per product) or ``products.stock.rejected``
    naming the short items. Idempotent per order: a second call moves nothing
    and publishes the first answer again (orders_api asks again only while it
    has no answer: the first one was lost on the way).
    """
    answered = StockIssue.objects.filter(pk=order_id).first()
    if answered is not None:
        republish(answered)
        return answered
    requested: dict[str, int] = {}
    for item in items:
        product_id = str(item["product_id"])
        requested[product_id] = requested.get(product_id, 0) + int(item["quantity"])
    products = products_lock(product_ids=requested)
    shortages = [
        shortage
        for product_id, quantity in sorted(requested.items())
        if (shortage := _shortage(product_id, products.get(product_id), quantity)) is not None
    ]
    issue = StockIssue(id=order_id, order_number=order_number)
    if shortages:
        issue.status = StockIssue.Status.REJECTED
        issue.shortages = shortages
        # Sent to orders_api in products.stock.rejected; the shortages are the facts.
        issue.reason = "Not enough stock for " + ", ".join(
            item["sku"] or item["product_id"] for item in shortages
        )
    else:
        issue.status = StockIssue.Status.ISSUED
        for product_id, quantity in sorted(requested.items()):
            movement = _apply_movement(
                products[product_id],
                kind=StockMovement.Kind.OUT,
                quantity=quantity,
                reason_code=StockMovement.ReasonCode.ORDER_FINISHED,
                reason_params={"order_number": order_number},
                reference=f"order #{order_number}",
                actor=None,
            )
            issue.lines.append(
                {
                    "product_id": product_id,
                    "sku": products[product_id].sku,
                    "quantity": quantity,
                    "movement_id": str(movement.pk),
                }
            )
    issue.save()
    return issue
