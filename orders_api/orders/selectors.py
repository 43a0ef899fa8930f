"""Reads of orders_api."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from common.api.errors import NotFound
from common.events.convergence import sweep_interval
from common.events.models import InboxEvent
from common.fastpath.queries import CompiledQuery, with_prefetched
from common.service_layer.selectors import get_or_not_found
from orders.models import ClientSnapshot, Order, OrderItem, ProductSnapshot

#: products_api's answers about an order's stock (``products.stock.reserved`` and so on).
STOCK_ANSWER_PREFIX = "products.stock."

# The order detail's two reads, compiled once (CompiledQuery: a third of the request).
_ORDER = CompiledQuery(lambda order_id: Order.objects.filter(pk=order_id).order_by())
_ITEMS = CompiledQuery(lambda order_id: OrderItem.objects.filter(order_id=order_id))
# Order creation's reads of the local copies.
_CLIENT = CompiledQuery(lambda client_id: ClientSnapshot.objects.filter(pk=client_id).order_by())
_PRODUCTS = CompiledQuery(lambda *ids: ProductSnapshot.objects.filter(pk__in=ids).order_by())


def order_list() -> QuerySet[Order]:
    """Orders with their items prefetched: a constant number of queries per page."""
    return Order.objects.prefetch_related("items")


def orders_stock_to_ask_again(*, order_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Of the pending orders ``order_ids``, those to ask products_api again now.

    products_api answers asks in about the order they were made. When it answered
    some within the last half sweep interval (answers to asks, not its sweep's
    repeats), the pending orders asked at or before the newest of those are due
    (passed over: the ask or its answer was lost), and the ones asked after it wait
    in its queue: their answers are on their way, and asking again would add one
    more message per order at every sweep while a backlog drains. When it answered
    none (nothing to answer, or it lost them all, or it is down), every pending
    order is due. So a lost ask is asked again by the first sweep after a later one
    is answered, or after half an interval without answers: within one and a half
    intervals, a lost repair within two and a half, inside the bound's three.
    Reads the recent answers in the inbox (by its ``received_at`` index), their
    orders' ask times, and the pending ones'.
    """
    if not order_ids:
        return set()
    since = timezone.now() - dt.timedelta(seconds=sweep_interval() / 2)
    answered = InboxEvent.objects.filter(
        received_at__gte=since, type__startswith=STOCK_ANSWER_PREFIX, repeat=False
    ).values_list("aggregate_id", flat=True)
    # Settled ones only: the ask time of an order answered, then asked again, is its
    # new ask's, which is not answered yet.
    newest = (
        Order.objects.filter(pk__in={uuid.UUID(pk) for pk in answered})
        .exclude(stock_status=Order.StockStatus.PENDING)
        .aggregate(newest=Max("stock_asked_at"))["newest"]
    )
    if newest is None:
        return set(order_ids)
    asked = Order.objects.filter(pk__in=order_ids).values_list("pk", "stock_asked_at")
    return {pk for pk, asked_at in asked if asked_at is None or asked_at <= newest}


def open_order_ids_awaiting_stock() -> list[uuid.UUID]:
    """The open orders whose stock products_api has not answered (``pending``), by number."""
    return list(
        Order.objects.filter(status=Order.Status.OPEN, stock_status=Order.StockStatus.PENDING)
        .order_by("number")
        .values_list("pk", flat=True)
    )


def orders_awaiting_stock(*, order_ids: Iterable[uuid.UUID | str]) -> set[str]:
    """Of ``order_ids``, those whose stock answer is still awaited (``pending``), as
    text; one read."""
    return {
        str(pk)
        for pk in Order.objects.filter(
            pk__in=list(order_ids), stock_status=Order.StockStatus.PENDING
        ).values_list("pk", flat=True)
    }


def order_get(*, order_id: uuid.UUID) -> Order:
    """The order with its items prefetched, as ``order_list`` gives it. Raises
    common.api.errors.NotFound when no order has this id."""
    found = _ORDER(order_id)
    if not found:
        raise NotFound()
    order = found[0]
    with_prefetched(order, "items", _ITEMS(order_id))
    return order


def order_item_get(*, order_id: uuid.UUID, item_id: uuid.UUID) -> OrderItem:
    """The line ``item_id`` of the order ``order_id``. Raises common.api.errors.NotFound
    when that order has no such line."""
    return get_or_not_found(OrderItem.objects, pk=item_id, order_id=order_id)


def client_snapshot_or_none(*, client_id: uuid.UUID) -> ClientSnapshot | None:
    """The copy of this client, or None (one compiled read)."""
    found = _CLIENT(client_id)
    return found[0] if found else None


def product_snapshots_by_id(
    *, product_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ProductSnapshot]:
    """The copies of these products that are here, by id (as ``in_bulk``)."""
    return {product.pk: product for product in _PRODUCTS(*dict.fromkeys(product_ids))}


def client_snapshot_get(*, client_id: uuid.UUID) -> ClientSnapshot:
    """Raises common.api.errors.NotFound when no copy of this client is here."""
    return get_or_not_found(ClientSnapshot.objects, pk=client_id)


def product_snapshot_get(*, product_id: uuid.UUID) -> ProductSnapshot:
    """Raises common.api.errors.NotFound when no copy of this product is here."""
    return get_or_not_found(ProductSnapshot.objects, pk=product_id)


# The sales panel (orders_api's admin home, orders.admin). Each figure is one query over
# indexed columns (orders_created_idx, orders_finished_idx, orders_status_idx); days
# begin at midnight in TIME_ZONE (São Paulo), whatever the database's time zone.

#: How many days the charts and the orders-by-status figure cover, today included.
PANEL_DAYS = 30
TOP_PRODUCTS = 10
OPEN_ORDERS_SHOWN = 10


@dataclass(frozen=True)
class PanelDays:
    """The panel's periods, as aware datetimes at local midnight."""

    today: dt.datetime
    tomorrow: dt.datetime
    month: dt.datetime  # the first day of this month
    first: dt.datetime  # the first of the PANEL_DAYS days

    @classmethod
    def at(cls, now: dt.datetime) -> PanelDays:
        local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
        today = local.replace(hour=0, minute=0, second=0, microsecond=0)
        # Whole days are added on the calendar (wall clock), so a day is a day even
        # where the zone changes its offset.
        return cls(
            today=today,
            tomorrow=today + dt.timedelta(days=1),
            month=today.replace(day=1),
            first=today - dt.timedelta(days=PANEL_DAYS - 1),
        )

    def dates(self) -> list[dt.date]:
        """The PANEL_DAYS local dates, oldest first."""
        return [self.first.date() + dt.timedelta(days=n) for n in range(PANEL_DAYS)]


@dataclass(frozen=True)
class Period:
    """A period's sales: orders placed in it; orders finished in it and their revenue."""

    placed: int
    finished: int
    revenue: Decimal

    @property
    def average_ticket(self) -> Decimal | None:
        """Revenue per finished order (None when none was finished)."""
        if not self.finished:
            return None
        return (self.revenue / self.finished).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class TopProduct:
    product_id: uuid.UUID
    sku: str
    name: str
    quantity: int
    revenue: Decimal


@dataclass(frozen=True)
class SalesPanel:
    today: Period
    month: Period
    #: (status, orders placed in the PANEL_DAYS days now in that status), every status.
    by_status: list[tuple[str, int]]
    #: (local date, revenue of the orders finished that day), PANEL_DAYS days, oldest first.
    revenue_by_day: list[tuple[dt.date, Decimal]]
    top_products: list[TopProduct]
    open_orders: list[Order]


def sales_periods(*, days: PanelDays) -> tuple[Period, Period]:
    """Today's and this month's sales (two queries: orders placed by ``created_at``,
    revenue by ``finished_at`` of the orders still finished)."""
    placed = Order.objects.filter(created_at__gte=days.month, created_at__lt=days.tomorrow)
    placed_counts = placed.aggregate(
        today=Count("pk", filter=Q(created_at__gte=days.today)), month=Count("pk")
    )
    finished = _finished(since=days.month, until=days.tomorrow)
    today = Q(finished_at__gte=days.today)
    sales = finished.aggregate(
        today=Count("pk", filter=today),
        today_revenue=Sum("total", filter=today),
        month=Count("pk"),
        month_revenue=Sum("total"),
    )
    zero = Decimal("0.00")
    return (
        Period(placed_counts["today"], sales["today"], sales["today_revenue"] or zero),
        Period(placed_counts["month"], sales["month"], sales["month_revenue"] or zero),
    )


def orders_by_status(*, days: PanelDays) -> list[tuple[str, int]]:
    """How many of the orders placed in the panel's days are in each status now (one
    query); every status is listed, in the order of ``Order.Status``."""
    counts = dict(
        Order.objects.filter(created_at__gte=days.first, created_at__lt=days.tomorrow)
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
    )
    return [(status, counts.get(status, 0)) for status in Order.Status.values]


def revenue_by_day(*, days: PanelDays) -> list[tuple[dt.date, Decimal]]:
    """The revenue of the orders finished on each of the panel's days, by local date
    (one query; a day without sales is 0)."""
    revenue = dict(
        _finished(since=days.first, until=days.tomorrow)
        .annotate(day=TruncDate("finished_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .order_by()
        .values_list("day")
        .annotate(revenue=Sum("total"))
    )
    return [(day, revenue.get(day, Decimal("0.00"))) for day in days.dates()]


def top_products(*, days: PanelDays, limit: int = TOP_PRODUCTS) -> list[TopProduct]:
    """The products most sold in the panel's days, by quantity (then revenue), in the
    orders finished then (one query). Sku and name are the ones on the product's lines
    (the greatest, should they differ: a product renamed meanwhile)."""
    rows = (
        OrderItem.objects.filter(
            order__status=Order.Status.FINISHED,
            order__finished_at__gte=days.first,
            order__finished_at__lt=days.tomorrow,
        )
        .values("product_id")
        .annotate(
            quantity=Sum("quantity"),
            revenue=Sum("total"),
            sku=Max("sku"),
            name=Max("product_name"),
        )
        .order_by("-quantity", "-revenue", "product_id")[:limit]
    )
    return [TopProduct(**row) for row in rows]


def open_orders_oldest_first(*, limit: int = OPEN_ORDERS_SHOWN) -> list[Order]:
    """The open orders that have waited longest (one query)."""
    return list(
        Order.objects.filter(status=Order.Status.OPEN)
        # status too: Order.from_db reads it (loaded_status).
        .only("pk", "number", "client_name", "total", "created_at", "status")
        .order_by("created_at")[:limit]
    )


def sales_panel(*, now: dt.datetime) -> SalesPanel:
    """Every figure of the sales panel as of ``now`` (six queries)."""
    days = PanelDays.at(now)
    today, month = sales_periods(days=days)
    return SalesPanel(
        today=today,
        month=month,
        by_status=orders_by_status(days=days),
        revenue_by_day=revenue_by_day(days=days),
        top_products=top_products(days=days),
        open_orders=open_orders_oldest_first(),
    )


def _finished(*, since: dt.datetime, until: dt.datetime) -> QuerySet[Order]:
    """The orders finished in [since, until) that stay finished (a cancelled one, whose
    stock was refused, brought in nothing)."""
    return Order.objects.filter(
        status=Order.Status.FINISHED, finished_at__gte=since, finished_at__lt=until
    )
