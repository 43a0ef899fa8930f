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

from common.api.errors import DomainError
from common.auth.actors import Actor
from common.events.recording import publication_of, record, record_saved, republish
from common.service_layer.services import lock, model_update, save_unique, update_all
from products.errors import ProductErrorCode
from products.models import Product, StockIssue, StockMovement, StockReservation

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
    reserved_delta: int = 0,
    reason: str = "",
    reason_code: str = "",
    reason_params: dict[str, Any] | None = None,
    reference: str,
    actor: Actor | None,
    ledger: list[StockMovement] | None = None,
) -> StockMovement:
    """The ledger's row of a movement the product already shows: inserted now, or, when
    the caller keeps a ``ledger``, appended to it for the caller to insert with the
    others (one statement for an order's lines)."""
    movement = StockMovement(
        product=product,
        kind=kind,
        quantity=quantity,
        delta=product.stock_quantity - before,
        reserved_delta=reserved_delta,
        quantity_before=before,
        quantity_after=product.stock_quantity,
        reason=reason,
        reason_code=reason_code,
        reason_params=reason_params or {},
        reference=reference,
        created_by=actor.id if actor else "",
        created_by_username=actor.username if actor else "",
    )
    if ledger is None:
        movement.save(force_insert=True)
    else:
        ledger.append(movement)
    return movement


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
    if kind in (StockMovement.Kind.RESERVE, StockMovement.Kind.RELEASE):
        return product.stock_quantity  # what is held changes, not what is on the shelf
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

    Raises DomainError 409 when the stock would go below zero, below what open
    orders hold, or above the maximum, naming the stock, the request and the
    limit. Publishes one
    ``products.product.updated``.
    """
    if kind not in StockMovement.PERSON_KINDS:
        raise ValidationError(
            {
                "kind": [
                    gettext("Use one of: %(kinds)s.")
                    % {"kinds": ", ".join(StockMovement.PERSON_KINDS)}
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


def _refusal(
    product: Product, kind: str, quantity: int, reserved_delta: int = 0
) -> DomainError | None:
    """Why moving ``quantity`` (and what open orders hold by ``reserved_delta``) would
    break the product's bounds, or None."""
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
    held = product.reserved + reserved_delta
    if after < held:
        return DomainError(
            code=ProductErrorCode.STOCK_BELOW_RESERVED,
            params={"sku": product.sku, "after": after, "reserved": held},
            extra={**facts, "reserved": held},
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
    reserved_delta: int = 0,
    reason: str = "",
    reason_code: str = "",
    reason_params: dict[str, Any] | None = None,
    reference: str,
    actor: Actor | None,
    writes: _Writes | None = None,
) -> StockMovement:
    """Moves the stock of a product the caller has locked. Raises DomainError 409.
    ``reason`` is a person's; the system's movements give ``reason_code`` and its params.
    ``reserved_delta`` changes what open orders hold in the same row (an issue takes
    what an order held out of the stock: ``out`` with ``reserved_delta=-quantity``).

    The product is saved now (publishing ``products.product.updated``) and its ledger
    row inserted, or, given ``writes``, both are kept there for the caller to write
    with the rest of its run, and the product publishes no event of its own."""
    refusal = _refusal(product, kind, quantity, reserved_delta)
    if refusal is not None:
        raise refusal
    before = product.stock_quantity
    was_low = product.low_stock
    product.stock_quantity = _new_quantity(product, kind, quantity)
    product.reserved += reserved_delta
    if writes is None:
        # The row is locked and nothing else changed: the UPDATE sets the stock, what is
        # held, the version and the time only (the event still carries the whole product).
        product.save(
            update_fields=["stock_quantity", "reserved"] if reserved_delta else ["stock_quantity"]
        )
    else:
        product.mark_changed()
        writes.products[str(product.pk)] = product
    if product.low_stock and not was_low:
        _record_stock_low(product)
    return _movement(
        product,
        kind=kind,
        quantity=quantity,
        before=before,
        reserved_delta=reserved_delta,
        reason=reason,
        reason_code=reason_code,
        reason_params=reason_params,
        reference=reference,
        actor=actor,
        ledger=writes.ledger if writes is not None else None,
    )


STOCK_LOW = "products.stock.low"


def _stock_low_data(product: Product) -> dict[str, Any]:
    """The product as its ``products.product.*`` events carry it, and what to buy."""
    return {
        **publication_of(Product).to_data(product),
        "suggested_quantity": product.suggested_quantity,
    }


def _record_stock_low(product: Product) -> None:
    """Records ``products.stock.low`` for a product whose stock just crossed its minimum
    downwards (``low_stock`` false → true), in the change's transaction.

    Only the crossing publishes: movements while the stock stays low publish nothing
    more, and the next crossing needs the stock back above the minimum first. The event
    travels in the product's stream at the version of the change (after its
    ``products.product.updated``, or its order's answer that carries it), so it leaves in
    order with the product's other events.
    """
    signal = dataclasses.replace(publication_of(Product), to_data=_stock_low_data)
    record(signal, product, STOCK_LOW)


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


def _requested(items: Iterable[dict[str, Any]]) -> dict[str, int]:
    """An order's items as quantities by product id (text); a product on two lines sums."""
    requested: dict[str, int] = {}
    for item in items:
        product_id = str(item["product_id"])
        requested[product_id] = requested.get(product_id, 0) + int(item["quantity"])
    return requested


def stock_reservations_lock(
    *, orders: Iterable[tuple[uuid.UUID | str, list[dict[str, Any]]]]
) -> None:
    """Locks the reservations of the orders (``(order_id, items)``), sorted by order id,
    then every product their items name or they hold, in one sorted statement
    (``products_lock``), before any of them changes.

    A batch of order events is applied in one transaction: each event locking its
    own rows would lock across the batch in no global order, and two workers
    applying crossing batches would deadlock (as they did on PostgreSQL in the
    cluster drill, dragging an API edit into the cycle). Every writer takes
    reservations before products, each kind in id order.
    """
    orders = list(orders)
    order_ids = sorted({str(order_id) for order_id, _items in orders})
    held = StockReservation.objects.select_for_update().filter(pk__in=order_ids).order_by("id")
    product_ids = {str(item["product_id"]) for _id, items in orders for item in items}
    for reservation in held:
        product_ids.update(reservation.held())
    products_lock(product_ids=product_ids)


def _shortages(
    target: dict[str, int], held: dict[str, int], products: dict[str, Product]
) -> list[dict[str, Any]]:
    """The lines of ``target`` the stock cannot hold beyond what the order holds
    (``held``): what was asked and what the order could have (``available``)."""
    shortages = []
    for product_id, quantity in sorted(target.items()):
        product = products.get(product_id)
        if product is None:
            shortages.append(
                {"product_id": product_id, "sku": "", "requested": quantity, "available": 0}
            )
            continue
        could_have = product.available + held.get(product_id, 0)
        if quantity > could_have:
            shortages.append(
                {
                    "product_id": product_id,
                    "sku": product.sku,
                    "requested": quantity,
                    "available": could_have,
                }
            )
    return shortages


def _hold(
    products: dict[str, Product],
    *,
    held: dict[str, int],
    target: dict[str, int],
    order_number: int,
    writes: _Writes,
) -> None:
    """Moves what the order holds from ``held`` to ``target``: one ledger row per product
    whose quantity changes (``reserve`` for more, ``release`` for less), kept in
    ``writes`` with the products."""
    for product_id in sorted(held.keys() | target.keys()):
        change = target.get(product_id, 0) - held.get(product_id, 0)
        if change == 0:
            continue
        more = change > 0
        _apply_movement(
            products[product_id],
            kind=StockMovement.Kind.RESERVE if more else StockMovement.Kind.RELEASE,
            quantity=abs(change),
            reserved_delta=change,
            reason_code=(
                StockMovement.ReasonCode.ORDER_RESERVED
                if more
                else StockMovement.ReasonCode.ORDER_RELEASED
            ),
            reason_params={"order_number": order_number},
            reference=f"order #{order_number}",
            actor=None,
            writes=writes,
        )


def _issue(
    products: dict[str, Product],
    *,
    target: dict[str, int],
    order_number: int,
    writes: _Writes,
) -> list[dict[str, Any]]:
    """Takes what the order holds out of the stock: one ``out`` row per product, which
    also lets go of the hold (``reserved_delta``), kept in ``writes``. Returns the
    issued lines."""
    lines = []
    for product_id, quantity in sorted(target.items()):
        movement = _apply_movement(
            products[product_id],
            kind=StockMovement.Kind.OUT,
            quantity=quantity,
            reserved_delta=-quantity,
            reason_code=StockMovement.ReasonCode.ORDER_FINISHED,
            reason_params={"order_number": order_number},
            reference=f"order #{order_number}",
            actor=None,
            writes=writes,
        )
        lines.append(
            {
                "product_id": product_id,
                "sku": products[product_id].sku,
                "quantity": quantity,
                "movement_id": str(movement.pk),
            }
        )
    return lines


#: The order statuses orders_api publishes (its ``Order.Status`` values): an open
#: order's lines are reserved, a finished one's issued, a cancelled one's released.
ORDER_OPEN, ORDER_FINISHED, ORDER_CANCELLED = "open", "finished", "cancelled"


@dataclasses.dataclass(frozen=True)
class StockAsk:
    """An order's ask from its event: the order, its number, the version asked at, its
    status and its lines (the event's ``items``)."""

    order_id: uuid.UUID | str
    order_number: int
    order_version: int
    order_status: str
    items: list[dict[str, Any]]


#: What a reservation moves in a product's row (``mark_changed`` sets the last two).
PRODUCT_STOCK_FIELDS = ("stock_quantity", "reserved", "version", "updated_at")
#: What an ask changes in a reservation's row.
RESERVATION_FIELDS = ("order_version", "status", "lines", "shortages", "version", "updated_at")


@dataclasses.dataclass
class _Writes:
    """What a run of asks changes, kept as the asks apply one after another and written
    once all have (``write``): the ledger's rows, the products moved, the reservations
    (by order id, ``new`` naming those not yet in the table) and those to answer."""

    ledger: list[StockMovement] = dataclasses.field(default_factory=list)
    products: dict[str, Product] = dataclasses.field(default_factory=dict)
    reservations: dict[str, StockReservation] = dataclasses.field(default_factory=dict)
    new: set[str] = dataclasses.field(default_factory=set)
    answered: dict[str, StockReservation] = dataclasses.field(default_factory=dict)

    def write(self) -> None:
        """One statement per table: the products' UPDATE, the new reservations' INSERT
        and the others' UPDATE, the ledger's INSERT, then the answers' INSERT into the
        outbox (two when new and older reservations answer together). The check
        constraints judge each product's row as the run leaves it."""
        if self.products:
            update_all(list(self.products.values()), fields=PRODUCT_STOCK_FIELDS)
        created = [row for key, row in self.reservations.items() if key in self.new]
        kept = [row for key, row in self.reservations.items() if key not in self.new]
        if created:
            StockReservation.objects.bulk_create(created)
        if kept:
            update_all(kept, fields=RESERVATION_FIELDS)
        if self.ledger:
            StockMovement.objects.bulk_create(self.ledger)
        answers = list(self.answered.values())
        record_saved([row for row in answers if str(row.pk) in self.new], created=True)
        record_saved([row for row in answers if str(row.pk) not in self.new], created=False)


@transaction.atomic
def stock_reservations_sync(*, asks: list[StockAsk]) -> list[StockReservation | StockIssue | None]:
    """Brings what each order holds in line with its ask, in order, as one ask at a
    time would, and answers each order. Returns, per ask, the record answered from, or
    None for a stale ask.

    orders_api asks (its order's ``stock_status`` is ``pending``) when an open
    order's lines change, when it is finished and when it is cancelled. An open
    order's lines are reserved all or nothing: if one cannot be held the order holds
    nothing (``refused``, with the shortages); a finished one's are reserved (if not
    already) and issued, one ``out`` per product; a cancelled one's are released.
    Every change is a ledger row naming the order. Publishes one
    ``products.stock.reserved|refused|issued|released`` per order changed, at its
    state after its last ask, which carries the products its asks moved, each whole
    at its state after the run, instead of one ``products.product.updated`` each
    (ADR 0146; ADR 0154 for the run written together).

    Idempotent and newest-wins per order: an ask older than the newest applied
    (``order_version``) is dropped; the same version asked again (orders_api's sweep,
    its answer lost) publishes the answer again and moves nothing. An order answered
    before reservations (``StockIssue``) is answered again from that record.

    Whatever the number of asks, they cost one read of their reservations and one of
    every product they name or hold, each locked in id order (reservations before
    products, as every writer locks), then one write per table (``_Writes.write``);
    only a product crossing its minimum and a repeated answer add an INSERT each.
    """
    # Only an order finished before reservations has a StockIssue, and it is never open
    # again: open orders' asks (most of them) need no look-up.
    settled = [ask.order_id for ask in asks if ask.order_status != ORDER_OPEN]
    issues = (
        {str(issue.pk): issue for issue in StockIssue.objects.filter(pk__in=settled)}
        if settled
        else {}
    )
    reservations = {
        str(reservation.pk): reservation
        for reservation in StockReservation.objects.select_for_update()
        .filter(pk__in=sorted({str(ask.order_id) for ask in asks}))
        .order_by("id")
    }
    product_ids = {str(item["product_id"]) for ask in asks for item in ask.items}
    for reservation in reservations.values():
        product_ids.update(reservation.held())
    products = products_lock(product_ids=product_ids)
    writes = _Writes()
    answers = [
        _reservation_sync(
            ask, issues=issues, reservations=reservations, products=products, writes=writes
        )
        for ask in asks
    ]
    writes.write()
    return answers


def _reservation_sync(
    ask: StockAsk,
    *,
    issues: dict[str, StockIssue],
    reservations: dict[str, StockReservation],
    products: dict[str, Product],
    writes: _Writes,
) -> StockReservation | StockIssue | None:
    """One ask of ``stock_reservations_sync``, its rows looked up and locked by it
    (``reservations`` gains the order's when it is new); what it changes is kept in
    ``writes``."""
    key = str(ask.order_id)
    answered = issues.get(key)
    if answered is not None:
        republish(answered)
        return answered
    reservation = reservations.get(key)
    if reservation is not None:
        if ask.order_version < reservation.order_version:
            return None
        final = reservation.status in (
            StockReservation.Status.ISSUED,
            StockReservation.Status.RELEASED,
        )
        if ask.order_version == reservation.order_version or final:
            if ask.order_version > reservation.order_version:
                reservation.order_version = ask.order_version  # bookkeeping: no new version
                writes.reservations[key] = reservation
            if key not in writes.answered:  # else the run's answer carries it
                republish(reservation)
            return reservation
        reservation.mark_changed()
    held = reservation.held() if reservation is not None else {}
    target = {} if ask.order_status == ORDER_CANCELLED else _requested(ask.items)
    mine = {pid: products[pid] for pid in held.keys() | target.keys() if pid in products}
    if reservation is None:
        reservation = StockReservation(id=ask.order_id, order_number=ask.order_number)
        reservations[key] = reservation
        writes.new.add(key)
    reservation.order_version = ask.order_version
    versions = {product_id: product.version for product_id, product in mine.items()}
    _move(
        reservation,
        mine,
        held=held,
        target=target,
        order_status=ask.order_status,
        writes=writes,
    )
    # The answer carries the products it moves: one event per order, not one per line too.
    moved = {str(product.pk): product for product in reservation.moved_products}
    moved.update(
        (product_id, product)
        for product_id, product in mine.items()
        if product.version != versions[product_id]
    )
    reservation.moved_products = tuple(product for _id, product in sorted(moved.items()))
    writes.reservations[key] = reservation
    writes.answered[key] = reservation
    return reservation


def _move(
    reservation: StockReservation,
    products: dict[str, Product],
    *,
    held: dict[str, int],
    target: dict[str, int],
    order_status: str,
    writes: _Writes,
) -> None:
    """Moves the stock of the order's (locked) products from ``held`` to what its status
    asks, and sets the reservation's answer (status, lines, shortages); saves nothing of
    the reservation. The products and their ledger rows are kept in ``writes``."""
    order_number = reservation.order_number
    reservation.shortages = _shortages(target, held, products)
    if reservation.shortages:
        _hold(products, held=held, target={}, order_number=order_number, writes=writes)
        reservation.status = StockReservation.Status.REFUSED
        reservation.lines = []
    elif order_status == ORDER_CANCELLED:
        _hold(products, held=held, target={}, order_number=order_number, writes=writes)
        reservation.status = StockReservation.Status.RELEASED
        reservation.lines = []
    else:
        _hold(products, held=held, target=target, order_number=order_number, writes=writes)
        if order_status == ORDER_FINISHED:
            reservation.status = StockReservation.Status.ISSUED
            reservation.lines = _issue(
                products, target=target, order_number=order_number, writes=writes
            )
        else:
            reservation.status = StockReservation.Status.RESERVED
            reservation.lines = [
                {"product_id": product_id, "sku": products[product_id].sku, "quantity": quantity}
                for product_id, quantity in sorted(target.items())
            ]
