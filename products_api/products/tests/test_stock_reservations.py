"""Orders hold stock: open orders reserve their lines all or nothing, changes re-reserve
the difference, cancelling releases, finishing issues what was held, each once, and
never more than the stock. Every change is a ledger row naming the order.

Every test goes through the real consumer task (``events.handle``) with the
envelope orders_api publishes.
"""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.development.testing import run_together
from common.events import topology
from common.events.consumer import handle_event, handled_types
from common.events.convergence import sweep
from common.events.models import InboxEvent, OutboxEvent
from products import services
from products.models import Product, StockIssue, StockMovement, StockReservation

pytestmark = pytest.mark.django_db

TYPES = {"open": "orders.order.updated", "finished": "orders.order.finished"}


def stocked(stock, sku=None):
    """A product with ``stock`` units, its initial stock on the ledger as the API writes it."""
    sku = sku or f"SKU-{uuid.uuid4().hex[:8]}"
    return services.product_create(
        actor=None, sku=sku, name=sku, price=1, max_quantity=100, stock_quantity=stock
    )


def order_event(
    order_id, number, *lines, status="open", version=1, stock_status="pending", repeat=False
):
    """orders_api's event of order ``order_id`` at ``version`` with ``lines`` of
    (product, quantity); ``stock_status`` pending is its ask. A ``repeat`` is made now."""
    event_type = TYPES.get(status, f"orders.order.{status}")
    if status == "open" and version == 1:
        event_type = "orders.order.created"
    items = [
        {
            "id": str(uuid.uuid4()),
            "product_id": str(product.pk),
            "sku": product.sku,
            "product_name": product.name,
            "quantity": quantity,
            "unit_price": "1.00",
            "total": f"{quantity}.00",
        }
        for product, quantity in lines
    ]
    event = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "orders_api",
        "aggregate_id": str(order_id),
        "version": version,
        "occurred_at": "2026-11-29T00:00:00Z",
        "data": {
            "id": str(order_id),
            "number": number,
            "status": status,
            "stock_status": stock_status,
            "items": items,
        },
    }
    if repeat:
        event["repeat"] = True
        event["repeated_at"] = timezone.now().isoformat()
    return event


def deliver(event):
    handle_event.apply(args=[event]).get()


def answers(order_id):
    return [
        (e.type, e.envelope["data"])
        for e in OutboxEvent.objects.filter(aggregate_id=str(order_id)).order_by("id")
    ]


def held(*products):
    return [Product.objects.get(pk=product.pk).reserved for product in products]


def assert_ledger_adds_up(*products):
    for product in products:
        product.refresh_from_db()
        movements = product.movements.all()
        assert sum(m.delta for m in movements) == product.stock_quantity
        assert sum(m.reserved_delta for m in movements) == product.reserved
        assert product.reserved == sum(
            line["quantity"]
            for reservation in StockReservation.objects.filter(status="reserved")
            for line in reservation.lines
            if line["product_id"] == str(product.pk)
        )


def test_an_open_order_reserves_its_lines_and_the_stock_stays():
    coffee = stocked(10)
    sugar = stocked(5)
    order_id = uuid.uuid4()
    before = set(OutboxEvent.objects.values_list("pk", flat=True))
    deliver(order_event(order_id, 41, (coffee, 3), (sugar, 5), (coffee, 2)))
    coffee.refresh_from_db()
    sugar.refresh_from_db()
    assert (coffee.stock_quantity, coffee.reserved, coffee.available) == (10, 5, 5)
    assert (sugar.stock_quantity, sugar.reserved, sugar.available) == (5, 5, 0)
    movements = StockMovement.objects.filter(kind="reserve")
    assert sorted((m.delta, m.reserved_delta, m.quantity) for m in movements) == [
        (0, 5, 5),
        (0, 5, 5),
    ]
    assert {m.reference for m in movements} == {"order #41"}
    assert {m.reason_code for m in movements} == {"order_reserved"}
    ((kind, answer),) = answers(order_id)
    assert kind == "products.stock.reserved"
    assert answer["status"] == "reserved"
    assert answer["order_version"] == 1 and answer["order_number"] == 41
    assert sorted(line["quantity"] for line in answer["lines"]) == [5, 5]
    # One event for the order: the products it moved travel in it, whole, at their new
    # versions, and publish no products.product.updated of their own (ADR 0146).
    new = OutboxEvent.objects.exclude(pk__in=before)
    assert list(new.values_list("type", flat=True)) == ["products.stock.reserved"]
    carried = {product["id"]: product for product in answer["products"]}
    assert set(carried) == {str(coffee.pk), str(sugar.pk)}
    assert carried[str(sugar.pk)]["version"] == sugar.version == 2
    assert (carried[str(sugar.pk)]["reserved"], carried[str(sugar.pk)]["available"]) == (5, 0)
    assert (carried[str(coffee.pk)]["reserved"], carried[str(coffee.pk)]["available"]) == (5, 5)
    assert carried[str(coffee.pk)]["sku"] == coffee.sku
    assert_ledger_adds_up(coffee, sugar)


def test_a_persons_movement_still_publishes_the_product():
    product = stocked(10)
    before = set(OutboxEvent.objects.values_list("pk", flat=True))
    services.stock_movement_create(
        actor=None, product_id=product.pk, kind="out", quantity=2, reason="quebra"
    )
    new = OutboxEvent.objects.exclude(pk__in=before)
    assert list(new.values_list("type", "version")) == [("products.product.updated", 2)]


def test_the_sweep_republishes_a_product_whose_change_an_answer_carried():
    moved, untouched = stocked(10), stocked(10)
    since = timezone.now()
    deliver(order_event(uuid.uuid4(), 42, (moved, 3)))
    OutboxEvent.objects.update(sent_at=timezone.now() - timedelta(days=1))
    before = set(OutboxEvent.objects.values_list("pk", flat=True))
    sweep(since=since)
    repeats = OutboxEvent.objects.exclude(pk__in=before).filter(type="products.product.updated")
    assert [(e.aggregate_id, e.version, e.repeat) for e in repeats] == [(str(moved.pk), 2, True)]
    assert repeats[0].envelope["data"]["reserved"] == 3
    assert str(untouched.pk) not in {e.aggregate_id for e in repeats}


def test_a_short_line_refuses_the_whole_order_and_nothing_is_held():
    plenty = stocked(10, "PLENTY")
    scarce = stocked(1, "SCARCE")
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 42, (plenty, 3), (scarce, 2)))
    assert held(plenty, scarce) == [0, 0]
    assert not StockMovement.objects.filter(kind__in=["reserve", "out"]).exists()
    ((kind, answer),) = answers(order_id)
    assert kind == "products.stock.refused"
    assert answer["shortages"] == [
        {"product_id": str(scarce.pk), "sku": "SCARCE", "requested": 2, "available": 1}
    ]
    assert answer["lines"] == [] and "SCARCE" in answer["reason"]


def test_an_unknown_product_refuses_the_order():
    ghost = Product(pk=uuid.uuid4(), sku="GHOST", name="x")
    deliver(order_event(uuid.uuid4(), 43, (ghost, 1)))
    reservation = StockReservation.objects.get()
    assert reservation.status == "refused"
    assert reservation.shortages[0]["available"] == 0


def test_what_another_order_holds_is_not_available():
    product = stocked(5)
    first, second = uuid.uuid4(), uuid.uuid4()
    deliver(order_event(first, 1, (product, 4)))
    deliver(order_event(second, 2, (product, 2)))
    assert answers(second)[-1][0] == "products.stock.refused"
    assert answers(second)[-1][1]["shortages"][0]["available"] == 1
    assert held(product) == [4]


def test_changed_lines_reserve_and_release_the_difference_only():
    coffee = stocked(10)
    sugar = stocked(10)
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 7, (coffee, 3), (sugar, 2)))
    deliver(order_event(order_id, 7, (coffee, 5), version=3))
    assert held(coffee, sugar) == [5, 0]
    changes = sorted(
        (m.kind, m.product_id == coffee.pk, m.reserved_delta)
        for m in StockMovement.objects.filter(kind__in=["reserve", "release"])
    )
    assert changes == [
        ("release", False, -2),
        ("reserve", False, 2),
        ("reserve", True, 2),
        ("reserve", True, 3),
    ]
    kind, answer = answers(order_id)[-1]
    assert (kind, answer["order_version"]) == ("products.stock.reserved", 3)
    assert_ledger_adds_up(coffee, sugar)


def test_a_change_that_cannot_be_held_releases_everything_the_order_held():
    product = stocked(4)
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 8, (product, 3)))
    deliver(order_event(order_id, 8, (product, 5), version=2))
    assert held(product) == [0]
    assert StockReservation.objects.get().status == "refused"
    assert [kind for kind, _ in answers(order_id)] == [
        "products.stock.reserved",
        "products.stock.refused",
    ]
    assert_ledger_adds_up(product)


def test_cancelling_releases_what_the_order_held():
    product = stocked(4)
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 9, (product, 3)))
    deliver(order_event(order_id, 9, (product, 3), status="cancelled", version=2))
    assert held(product) == [0]
    release = StockMovement.objects.get(kind="release")
    assert (release.reserved_delta, release.reason_code) == (-3, "order_released")
    kind, answer = answers(order_id)[-1]
    assert kind == "products.stock.released" and answer["lines"] == []
    assert_ledger_adds_up(product)


def test_finishing_issues_what_was_reserved_once_per_line():
    coffee = stocked(10)
    sugar = stocked(10)
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 10, (coffee, 3), (sugar, 1)))
    finished = order_event(order_id, 10, (coffee, 3), (sugar, 1), status="finished", version=3)
    deliver(finished)
    deliver(finished)  # the same message again: the inbox drops it
    # orders_api asks again (its sweep: the answer was lost): answered again, issued once.
    deliver(order_event(order_id, 10, status="finished", version=3, repeat=True))
    coffee.refresh_from_db()
    sugar.refresh_from_db()
    assert (coffee.stock_quantity, coffee.reserved, sugar.stock_quantity) == (7, 0, 9)
    outs = StockMovement.objects.filter(kind="out")
    assert sorted((m.delta, m.reserved_delta) for m in outs) == [(-3, -3), (-1, -1)]
    assert {m.reason_code for m in outs} == {"order_finished"}
    issued = [
        (e.version, e.repeat, e.envelope["data"])
        for e in OutboxEvent.objects.filter(
            aggregate_id=str(order_id), type="products.stock.issued"
        ).order_by("id")
    ]
    assert [(version, repeat) for version, repeat, _ in issued] == [(2, False), (2, True)]
    # The repeat answers the same; the products moved only once, with the original.
    original, repeat = (dict(data) for _, _, data in issued)
    assert repeat.pop("products") == []
    carried = {product["id"]: product for product in original.pop("products")}
    assert original == repeat
    assert (carried[str(coffee.pk)]["stock_quantity"], carried[str(coffee.pk)]["reserved"]) == (
        7,
        0,
    )
    assert carried[str(sugar.pk)]["version"] == sugar.version
    assert {line["movement_id"] for line in issued[0][2]["lines"]} == {str(m.pk) for m in outs}
    assert InboxEvent.objects.count() == 3
    assert_ledger_adds_up(coffee, sugar)


def test_an_order_finished_before_its_reservation_is_reserved_and_issued_at_once():
    product = stocked(10)
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 11, (product, 4), status="finished", version=2))
    product.refresh_from_db()
    assert (product.stock_quantity, product.reserved) == (6, 0)
    assert sorted(StockMovement.objects.values_list("kind", "reserved_delta")) == [
        ("in", 0),
        ("out", -4),
        ("reserve", 4),
    ]
    assert [kind for kind, _ in answers(order_id)] == ["products.stock.issued"]


def test_a_finished_order_short_of_stock_is_refused_and_nothing_moves():
    product = stocked(1)
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 12, (product, 4), status="finished", version=2))
    product.refresh_from_db()
    assert (product.stock_quantity, product.reserved) == (1, 0)
    assert [kind for kind, _ in answers(order_id)] == ["products.stock.refused"]
    # Then cancelled (orders_api allows it for a refused finished order): nothing to let go.
    deliver(order_event(order_id, 12, (product, 4), status="cancelled", version=4))
    assert answers(order_id)[-1][0] == "products.stock.released"
    assert not StockMovement.objects.exclude(kind="in").exists()


def test_a_stale_event_is_dropped():
    product = stocked(10)
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 13, (product, 2), version=3))
    deliver(order_event(order_id, 13, (product, 6), version=2))  # older: arrived late
    assert held(product) == [2]
    assert len(answers(order_id)) == 1
    assert StockReservation.objects.get().order_version == 3


def test_an_event_that_does_not_ask_costs_nothing(django_assert_num_queries):
    product = stocked(10)
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 14, (product, 2)))
    # orders_api recorded the answer (a new version, stock_status reserved): no ping-pong,
    # and not one statement, not even the inbox's: nothing read, locked or noted.
    echo = order_event(order_id, 14, (product, 9), version=2, stock_status="reserved")
    with django_assert_num_queries(0):
        deliver(echo)
    assert not InboxEvent.objects.filter(event_id=echo["id"]).exists()
    assert len(answers(order_id)) == 1
    reservation = StockReservation.objects.get()
    assert (reservation.order_version, reservation.version) == (1, 1)
    assert held(product) == [2]
    # The next ask (the order's lines changed again) is answered.
    deliver(order_event(order_id, 14, (product, 3), version=3))
    assert held(product) == [3]
    assert answers(order_id)[-1][1]["lines"][0]["quantity"] == 3


def test_an_order_never_asked_holds_nothing():
    product = stocked(10)
    deliver(order_event(uuid.uuid4(), 15, (product, 2), stock_status="reserved"))
    assert held(product) == [0]
    assert not StockReservation.objects.exists()


def test_the_same_version_asked_again_is_answered_again_and_nothing_moves():
    product = stocked(10)
    order_id = uuid.uuid4()
    deliver(order_event(order_id, 16, (product, 2)))
    # Repeated after the answer (orders_api's sweep found the order still pending).
    deliver(order_event(order_id, 16, (product, 2), repeat=True))
    first, again = OutboxEvent.objects.filter(aggregate_id=str(order_id)).order_by("id")
    assert (again.type, again.version, again.repeat) == ("products.stock.reserved", 1, True)
    # The same answer; the product moved once, and only the original carries it.
    assert again.envelope["data"] == {**first.envelope["data"], "products": []}
    assert [p["id"] for p in first.envelope["data"]["products"]] == [str(product.pk)]
    assert held(product) == [2]
    assert StockMovement.objects.filter(kind="reserve").count() == 1


def test_a_repeat_made_before_the_answer_costs_one_read_and_is_not_answered(
    django_assert_num_queries,
):
    product = stocked(10)
    order_id = uuid.uuid4()
    # orders_api's sweep re-asks while the ask waits in this worker's queue (a backlog):
    # the repeat is made, then the original is answered, then the repeat arrives.
    crossed = order_event(order_id, 18, (product, 2), repeat=True)
    deliver(order_event(order_id, 18, (product, 2)))
    with django_assert_num_queries(1):  # the reservation, by its key; nothing written
        deliver(crossed)
    assert not InboxEvent.objects.filter(event_id=crossed["id"]).exists()
    assert len(answers(order_id)) == 1
    assert held(product) == [2]
    # A repeat of a newer version than the one answered is a new ask, whenever made.
    changed = order_event(order_id, 18, (product, 5), version=2, repeat=True)
    changed["repeated_at"] = crossed["repeated_at"]
    deliver(changed)
    assert held(product) == [5]
    assert answers(order_id)[-1][1]["lines"][0]["quantity"] == 5


def test_an_open_orders_ask_writes_its_ledger_in_one_statement_and_looks_up_no_old_issue():
    coffee, sugar, tea = stocked(10), stocked(10), stocked(10)
    order_id = uuid.uuid4()
    with CaptureQueriesContext(connection) as queries:
        deliver(order_event(order_id, 42, (coffee, 1), (sugar, 2), (tea, 3)))
    statements = [query["sql"] for query in queries.captured_queries]
    ledger = [sql for sql in statements if sql.startswith('INSERT INTO "products_stockmovement"')]
    assert len(ledger) == 1  # three lines, one INSERT
    # Only an order finished before reservations has a StockIssue; an open one is not.
    assert not [sql for sql in statements if "products_stockissue" in sql]
    assert StockMovement.objects.filter(kind="reserve", reference="order #42").count() == 3
    assert_ledger_adds_up(coffee, sugar, tea)


def test_an_order_answered_before_reservations_is_answered_from_its_record():
    product = stocked(10)
    order_id = uuid.uuid4()
    with transaction.atomic():
        StockIssue.objects.create(id=order_id, order_number=17, status="issued")
    deliver(order_event(order_id, 17, (product, 2), status="finished", version=2))
    assert [kind for kind, _ in answers(order_id)] == [
        "products.stock.issued",
        "products.stock.issued",
    ]
    assert held(product) == [0] and not StockReservation.objects.exists()


def test_a_failure_midway_rolls_everything_back_and_publishes_nothing(monkeypatch):
    coffee = stocked(10)
    sugar = stocked(10)
    before = OutboxEvent.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_issue", broken)
    with pytest.raises(RuntimeError):
        services.stock_reservations_sync(
            asks=[
                services.StockAsk(
                    order_id=uuid.uuid4(),
                    order_number=18,
                    order_version=2,
                    order_status="finished",
                    items=[{"product_id": str(p.pk), "quantity": 2} for p in (coffee, sugar)],
                )
            ]
        )
    assert OutboxEvent.objects.count() == before
    assert held(coffee, sugar) == [0, 0]
    assert not StockMovement.objects.exclude(kind="in").exists()
    assert not StockReservation.objects.exists()


def test_the_database_refuses_holding_more_than_the_stock():
    product = stocked(3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(reserved=4)


@pytest.mark.django_db(transaction=True)
def test_sixty_concurrent_orders_on_the_last_units_reserve_exactly_what_exists():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency: PostgreSQL's (SQLite locks the whole file)")
    product = stocked(7)
    orders = [uuid.uuid4() for _ in range(60)]
    run_together(
        [
            lambda n=n, order_id=order_id: deliver(order_event(order_id, n, (product, 1)))
            for n, order_id in enumerate(orders)
        ]
    )
    statuses = dict(StockReservation.objects.values_list("id", "status"))
    assert set(statuses) == set(orders)  # every order answered
    assert sorted(statuses.values()).count("reserved") == 7
    product.refresh_from_db()
    assert (product.stock_quantity, product.reserved, product.available) == (7, 7, 0)
    assert_ledger_adds_up(product)


def test_the_queue_receives_the_order_events_handled_here():
    handled = handled_types()
    assert handled == {
        "orders.order.created",
        "orders.order.updated",
        "orders.order.finished",
        "orders.order.cancelled",
        "users.user.created",
        "users.user.updated",
        "users.user.deleted",
    }
    assert all(topology.routes_to("products_api.events", kind) for kind in handled)
    assert not topology.routes_to("products_api.events", "clients.client.updated")
