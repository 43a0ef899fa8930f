"""Write use-cases of orders_api. Each runs in one transaction; saving the order records
its event (``orders.events``) in that transaction, published after commit by the relay.

Orders are built only from the local copies of clients and products; prices,
names and SKUs are copied into the items when they are added, so later
catalogue changes never rewrite an order.

Errors: ``InvalidReference`` 422 (unknown or inactive client, product or
address, named by field), ``DomainError`` 409 for a refused transition or an
edit of an order that is not open, ``NotFound`` 404, ``PreconditionFailed`` 412.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.api.errors import DomainError, NotFound
from common.auth.actors import Actor
from common.events.recording import record_saved, republish_all
from common.fastpath.queries import with_prefetched
from common.service_layer.services import lock, update_all
from common.versioning import check_version
from orders import selectors
from orders.errors import InvalidReference, OrderErrorCode
from orders.models import (
    ClientSnapshot,
    Order,
    OrderItem,
    OrderStatusChange,
    ProductSnapshot,
)

# The most lines one order holds, at creation and after every add: each change
# stores and publishes the whole order, so an unbounded one would make every
# later add slower and every event bigger.
MAX_ITEMS_PER_ORDER = 500


@dataclass(frozen=True)
class ItemRequest:
    product_id: uuid.UUID
    quantity: int


def _active_client(client_id: uuid.UUID) -> ClientSnapshot:
    client = selectors.client_snapshot_or_none(client_id=client_id)
    if client is None:
        raise InvalidReference(
            {
                "client_id": [
                    gettext(
                        "No client %(id)s is known; its copy may not have arrived here yet; "
                        "try again in a moment."
                    )
                    % {"id": client_id}
                ]
            }
        )
    if not client.is_active:
        raise InvalidReference({"client_id": [gettext("This client is inactive.")]})
    return client


def _products(items: list[ItemRequest], field: str) -> dict[uuid.UUID, ProductSnapshot]:
    """The active products the items name; raises InvalidReference naming each bad line."""
    found = selectors.product_snapshots_by_id(product_ids=[item.product_id for item in items])
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        path = field.format(index=index)
        product = found.get(item.product_id)
        if product is None:
            errors[path] = [
                gettext(
                    "No product %(id)s is known; its copy may not have arrived here yet; "
                    "try again in a moment."
                )
                % {"id": item.product_id}
            ]
        elif not product.is_active:
            errors[path] = [gettext("Product %(sku)s is inactive.") % {"sku": product.sku}]
    if errors:
        raise InvalidReference(errors)
    return found


def _shipping_address(client: ClientSnapshot, address_id: uuid.UUID | None) -> dict | None:
    if address_id is None:
        return client.default_address()
    address = client.address(str(address_id))
    if address is None:
        raise InvalidReference(
            {"shipping_address_id": [gettext("This client has no address with this id.")]}
        )
    return address


def _item(order: Order, product: ProductSnapshot, quantity: int) -> OrderItem:
    return OrderItem(
        order=order,
        product_id=product.pk,
        sku=product.sku,
        product_name=product.name,
        quantity=quantity,
        unit_price=product.price,
        total=product.price * quantity,
    )


def _ensure_item_count_allowed(count: int) -> None:
    """Raises DomainError (``too_many_items``, 409, with ``max_items``) when an order
    would hold ``count`` items, past ``MAX_ITEMS_PER_ORDER``."""
    if count > MAX_ITEMS_PER_ORDER:
        raise DomainError(
            code=OrderErrorCode.TOO_MANY_ITEMS,
            params={"max_items": MAX_ITEMS_PER_ORDER},
            extra={"max_items": MAX_ITEMS_PER_ORDER},
        )


def _recompute_total(order: Order) -> None:
    order.total = sum((item.total for item in order.items.all()), Decimal("0.00"))


def _record_status(order: Order, from_status: str, actor: Actor, reason: str = "") -> None:
    OrderStatusChange.objects.create(
        order=order,
        from_status=from_status,
        to_status=order.status,
        reason=reason,
        changed_by=actor.id,
        changed_by_username=actor.username,
    )


def _next_number() -> int:
    """A new order number: unique and increasing, not gapless.

    On PostgreSQL it comes from the sequence ``orders_order_number_seq`` (migration
    0005), which takes no lock, so creations do not wait for each other; a rolled-back
    order's number is never handed out again. SQLite (development) takes the highest
    number + 1: its transactions begin IMMEDIATE (common.settings), so the creating
    transaction already holds the database's only write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('orders_order_number_seq')")
            return cursor.fetchone()[0]
    return (Order.objects.aggregate(highest=Max("number"))["highest"] or 0) + 1


@transaction.atomic
def order_create(
    *,
    actor: Actor,
    client_id: uuid.UUID,
    items: Iterable[ItemRequest],
    notes: str = "",
    shipping_address_id: uuid.UUID | None = None,
) -> Order:
    """Places an open order from the local copies. Publishes one ``orders.order.created``,
    which asks products_api to reserve its lines (``stock_status`` pending).

    Raises InvalidReference (422) for an unknown or inactive client, product or
    address, DomainError (``too_many_items``) past ``MAX_ITEMS_PER_ORDER`` lines, and
    DomainError (``insufficient_stock``) when the copies already show too little
    available.
    """
    items = list(items)
    _ensure_item_count_allowed(len(items))
    client = _active_client(client_id)
    products = _products(items, "items.{index}.product_id")
    wanted: dict[uuid.UUID, int] = {}
    for item in items:
        wanted[item.product_id] = wanted.get(item.product_id, 0) + item.quantity
    _refuse_known_shortages(wanted, products)
    address = _shipping_address(client, shipping_address_id)
    order = Order(
        client_id=client.pk,
        client_name=client.name,
        shipping_address=address,
        notes=notes,
        created_by=actor.id,
    )
    lines = [_item(order, products[item.product_id], item.quantity) for item in items]
    order.total = sum((line.total for line in lines), Decimal("0.00"))
    # Lines and history first, so the order's one save records an event that already
    # carries them; foreign keys are checked at commit (Django creates them deferred).
    OrderItem.objects.bulk_create(lines)
    # The event and the response take the items as written, in the order a read gives.
    with_prefetched(order, "items", sorted(lines, key=lambda line: (line.created_at, line.pk)))
    _record_status(order, "", actor)
    order.number = _next_number()
    order.ask_for_stock()
    order.save()
    return order


def _lock_open_order(order_id: uuid.UUID, expected_version: int | None) -> Order:
    order = lock(Order, order_id, expected_version=expected_version)
    _ensure_open(order)
    return order


def _ensure_open(order: Order) -> None:
    if order.status != Order.Status.OPEN:
        raise DomainError(
            code=OrderErrorCode.ORDER_NOT_OPEN,
            params={"number": order.number, "status": Order.Status(order.status).label},
            extra={"order_status": order.status},
        )


@transaction.atomic
def order_update(
    *,
    actor: Actor,
    order_id: uuid.UUID,
    expected_version: int | None,
    notes: str | None = None,
    shipping_address_id: uuid.UUID | None = None,
) -> Order:
    """Changes an open order's notes or shipping address (copied from the client's copy).
    Returns the order with its items loaded."""
    order = _lock_open_order(order_id, expected_version)
    prefetch_related_objects([order], "items")  # read once, for the event and the caller
    if notes is not None:
        order.notes = notes
    if shipping_address_id is not None:
        client = selectors.client_snapshot_or_none(client_id=order.client_id)
        if client is None:
            raise InvalidReference(
                {
                    "shipping_address_id": [
                        gettext(
                            "The client's copy may not have arrived here yet; "
                            "try again in a moment."
                        )
                    ]
                }
            )
        order.shipping_address = _shipping_address(client, shipping_address_id)
    order.save()
    return order


@transaction.atomic
def order_item_add(
    *,
    actor: Actor,
    order_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: int,
    expected_version: int | None = None,
) -> OrderItem:
    """Adds a line at the product copy's current price. Publishes one ``updated``, which
    asks products_api to reserve the lines again (the difference is what moves).

    Raises DomainError (``order_not_open``) unless the order is open, InvalidReference
    for an unknown or inactive product, DomainError (``too_many_items``) when the
    order already holds ``MAX_ITEMS_PER_ORDER`` lines, and DomainError
    (``insufficient_stock``) when the copy already shows fewer units available.
    """
    order = _lock_open_order(order_id, expected_version)
    product = _products([ItemRequest(product_id, quantity)], "product_id")[product_id]
    _refuse_known_shortages({product_id: quantity}, {product_id: product})
    item = _item(order, product, quantity)
    item.save()
    prefetch_related_objects([order], "items")  # read once, for the count, total and event
    # Counted with the new line, under the order's lock: concurrent adds take turns,
    # and a refusal rolls the line back.
    _ensure_item_count_allowed(len(order.items.all()))
    _recompute_total(order)
    order.ask_for_stock()
    order.save()
    return item


def _order_item(order: Order, item_id: uuid.UUID, expected_version: int | None) -> OrderItem:
    """The order's item (from its prefetched items when it has them)."""
    item = next((item for item in order.items.all() if item.pk == item_id), None)
    if item is None:
        raise NotFound(_("This order has no item with this id."))
    check_version(item, expected_version)
    return item


@transaction.atomic
def order_item_update(
    *,
    actor: Actor,
    order_id: uuid.UUID,
    item_id: uuid.UUID,
    quantity: int,
    expected_version: int | None,
) -> OrderItem:
    """Changes a line's quantity; its unit price stays the one it was added at. Asks
    products_api to reserve the lines again. Raises DomainError (``insufficient_stock``)
    when the copy already shows less available than the increase."""
    order = _lock_open_order(order_id, None)
    # One read of the items: the line changed is one of them, so the total and the event
    # see its new quantity.
    prefetch_related_objects([order], "items")
    item = _order_item(order, item_id, expected_version)
    if quantity > item.quantity:
        # Only the increase is checked: the units the line has are held for it already.
        _refuse_known_shortages(
            {item.product_id: quantity - item.quantity},
            selectors.product_snapshots_by_id(product_ids=[item.product_id]),
        )
    item.quantity = quantity
    item.total = item.unit_price * quantity
    item.save()
    _recompute_total(order)
    order.ask_for_stock()
    order.save()
    return item


@transaction.atomic
def order_item_remove(
    *, actor: Actor, order_id: uuid.UUID, item_id: uuid.UUID, expected_version: int | None
) -> None:
    order = _lock_open_order(order_id, None)
    _order_item(order, item_id, expected_version).delete()
    prefetch_related_objects([order], "items")  # the rest, for the total and the event
    _recompute_total(order)
    order.ask_for_stock()  # products_api releases what the line held
    order.save()


@transaction.atomic
def order_finish(*, order_id: uuid.UUID, actor: Actor, expected_version: int | None) -> Order:
    """Closes an open order with at least one item. Publishes ``orders.order.finished``.
    Returns the order with its items loaded.

    Raises NotFound, PreconditionFailed, and DomainError (409): ``order_not_open``,
    ``order_empty``, ``client_inactive`` or ``product_inactive`` (naming the
    products) when a copy here says it was deactivated since the order was
    placed (the order can still be cancelled), ``stock_refused`` (with the
    shortages) when products_api refused to reserve its lines.

    A reserved order is never refused for stock: products_api holds its lines and
    issues them. A pending one may be finished (its lines passed the copies' check
    when they were placed) (products_api reserves and issues in
    one step, or refuses: the order is then finished with its stock refused, and may
    be cancelled). Either way ``stock_status`` is pending until products_api answers
    ``issued`` (or ``refused``).
    """
    order = _lock_order_to_finish(order_id, expected_version)
    prefetch_related_objects([order], "items")  # read once, for the checks, event and caller
    if not order.items.all():
        raise DomainError(code=OrderErrorCode.ORDER_EMPTY, params={"number": order.number})
    if order.client_inactive:
        raise DomainError(
            code=OrderErrorCode.CLIENT_INACTIVE,
            params={"number": order.number},
            extra={"client_id": str(order.client_id)},
        )
    copies = selectors.product_snapshots_by_id(
        product_ids=[item.product_id for item in order.items.all()]
    )
    _refuse_inactive_products(order, copies)
    if order.stock_status == Order.StockStatus.REFUSED:
        raise DomainError(
            code=OrderErrorCode.STOCK_REFUSED,
            params={
                "number": order.number,
                "skus": order.short_skus(),
            },
            extra={"shortages": order.stock_shortages},
        )
    order.status = Order.Status.FINISHED
    order.ask_for_stock()
    order.finished_at = timezone.now()
    order.save()
    _record_status(order, Order.Status.OPEN, actor)
    return order


def _lock_order_to_finish(order_id: uuid.UUID, expected_version: int | None) -> Order:
    """``_lock_open_order`` whose one locking read also says whether the client's copy
    here is inactive (``client_inactive``); a missing copy is not known to be."""
    inactive = ClientSnapshot.objects.filter(pk=OuterRef("client_id"), is_active=False)
    found = list(
        Order.objects.select_for_update()
        .filter(pk=order_id)
        .annotate(client_inactive=Exists(inactive))
        .order_by()
    )
    if not found:
        raise NotFound("No order has this id.")
    order = found[0]
    check_version(order, expected_version)
    _ensure_open(order)
    return order


def _refuse_inactive_products(order: Order, copies: dict[uuid.UUID, ProductSnapshot]) -> None:
    """DomainError (``product_inactive``, naming them) when a product's copy says it was
    deactivated: finishing would take stock from a product no longer sold."""
    inactive = sorted(
        {(str(copy.pk), copy.sku) for copy in copies.values() if not copy.is_active},
        key=lambda product: product[1],
    )
    if inactive:
        raise DomainError(
            code=OrderErrorCode.PRODUCT_INACTIVE,
            params={"skus": ", ".join(sku for _id, sku in inactive), "number": order.number},
            extra={"products": [{"product_id": pk, "sku": sku} for pk, sku in inactive]},
        )


def _refuse_known_shortages(
    wanted: dict[uuid.UUID, int], copies: dict[uuid.UUID, ProductSnapshot]
) -> None:
    """The fast first check when lines are placed: DomainError (``insufficient_stock``,
    naming the short lines) when the product copies already show less available (the
    stock less what open orders hold) than ``wanted`` more of each product.

    Only a hint (the copies may lag) — products_api decides when it reserves.
    """
    short = [
        {
            "product_id": str(product_id),
            "sku": copies[product_id].sku,
            "requested": quantity,
            "available": copies[product_id].available,
        }
        for product_id, quantity in wanted.items()
        if quantity > 0 and product_id in copies and copies[product_id].available < quantity
    ]
    if short:
        raise DomainError(
            code=OrderErrorCode.INSUFFICIENT_STOCK,
            params={"skus": ", ".join(item["sku"] for item in short)},
            extra={"shortages": short},
        )


@dataclass(frozen=True)
class StockAnswer:
    """products_api's answer about an order's stock: an ``Order.StockStatus``, the order
    version it answers (None from its answers to orders finished before reservations)
    and, when refused, why."""

    order_id: uuid.UUID | str
    answer: str
    order_version: int | None
    reason: str = ""
    shortages: list | None = None


#: What an answer changes in an order's row (``mark_changed`` sets the last two).
STOCK_ANSWER_FIELDS = ("stock_status", "stock_reason", "stock_shortages", "version", "updated_at")


@transaction.atomic
def orders_stock_answered(*, answers: list[StockAnswer]) -> list[Order]:
    """Records products_api's answers, in order, as one at a time would; returns the
    orders that took one.

    Only a pending order takes an answer, and only an answer to the version it was
    asked at or a newer one: an answer to lines since changed, a repeated or a late
    answer changes nothing (nor does a second answer to the same order here: the first
    leaves ``pending``). Each order that takes one publishes one
    ``orders.order.updated``. Whatever their number, the answers cost four statements:
    the orders locked in one sorted read, their items read in one (their events carry
    them), the orders' UPDATE and their events' INSERT (ADR 0154).
    """
    ids = sorted({str(answer.order_id) for answer in answers})
    orders = {
        str(order.pk): order
        for order in Order.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    taken: dict[str, Order] = {}
    for answer in answers:
        order = orders.get(str(answer.order_id))
        if order is None or order.stock_status != Order.StockStatus.PENDING:
            continue
        if answer.order_version is not None and answer.order_version < order.stock_asked_version:
            continue
        order.stock_status = answer.answer
        if answer.answer == Order.StockStatus.REFUSED:
            order.stock_reason = answer.reason
            order.stock_shortages = answer.shortages or []
        elif answer.answer != Order.StockStatus.RELEASED:  # held now: no longer short
            order.stock_reason = ""
            order.stock_shortages = []
        order.mark_changed()
        taken[str(order.pk)] = order
    orders_taken = list(taken.values())
    update_all(orders_taken, fields=STOCK_ANSWER_FIELDS)
    record_saved(orders_taken, created=False)  # reads the items for all of them at once
    return orders_taken


@transaction.atomic
def order_cancel(
    *, order_id: uuid.UUID, actor: Actor, reason: str = "", expected_version: int | None
) -> Order:
    """Cancels an open order, or a finished one whose stock was refused (nothing was
    taken). Publishes ``orders.order.cancelled``, which asks products_api to release
    what the order holds. Returns the order with its items loaded."""
    order = lock(Order, order_id, expected_version=expected_version)
    cancellable = order.status == Order.Status.OPEN or (
        order.status == Order.Status.FINISHED and order.stock_status == Order.StockStatus.REFUSED
    )
    if not cancellable:
        raise DomainError(
            _("Order #%(number)s is %(status)s with stock %(stock)s; it cannot be cancelled.")
            if order.status == Order.Status.FINISHED
            else None,
            code=OrderErrorCode.ORDER_NOT_CANCELLABLE,
            params={
                "number": order.number,
                "status": Order.Status(order.status).label,
                "stock": Order.StockStatus(order.stock_status).label,
            },
            extra={"order_status": order.status, "stock_status": order.stock_status},
        )
    previous = order.status
    prefetch_related_objects([order], "items")  # read once, for the event and the caller
    order.status = Order.Status.CANCELLED
    order.cancel_reason = reason
    order.ask_for_stock()
    order.save()
    _record_status(order, previous, actor, reason)
    return order


@transaction.atomic
def orders_stock_ask_again(*, order_ids: Iterable[uuid.UUID]) -> int:
    """Asks products_api again about the stock of the orders still ``pending`` among
    ``order_ids``: re-publishes each one's current state (a repeat at its version, one
    statement). Returns how many were asked.

    Idempotent: products_api reserves an order it had not seen, answers again one it
    has (nothing moves), and an answer already recorded here is not taken twice.
    """
    orders = list(
        Order.objects.select_for_update()
        .filter(pk__in=list(order_ids), stock_status=Order.StockStatus.PENDING)
        .order_by("pk")
    )
    republish_all(orders)
    return len(orders)
