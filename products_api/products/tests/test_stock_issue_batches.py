"""A batch of order events (``events.handle_batch``: one transaction) locks every
reservation and product it touches first, in one sorted statement, so two workers applying batches
whose orders cross cannot deadlock (the cluster drill's ``deadlock detected`` on
PostgreSQL, which also dragged an API edit into the cycle and answered it 503).
"""

import contextlib
import threading
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.development.testing import run_together
from common.events.consumer import process_batch
from common.events.models import OutboxEvent
from products import services
from products.models import Product, StockReservation
from products.tests.test_stock_reservations import order_event


def _finished(number, *lines):
    return order_event(uuid.uuid4(), number, *lines, status="finished", version=2)


def _sorted_products(count):
    products = (
        services.product_create(
            actor=None,
            sku=f"BATCH-{n}",
            name=f"Batch {n}",
            price=1,
            max_quantity=100,
            stock_quantity=10,
        )
        for n in range(count)
    )
    return sorted(products, key=lambda product: product.pk)


def _names(sql, product):
    return product.pk.hex in sql.replace("-", "")


@pytest.mark.django_db
def test_a_batch_locks_all_its_products_in_one_sorted_statement_before_any_order():
    first, second, third, fourth = _sorted_products(4)
    batch = [
        _finished(1, (third, 1), (first, 1)),
        _finished(2, (fourth, 1), (second, 1)),
    ]
    with CaptureQueriesContext(connection) as captured:
        assert process_batch(batch) == 2
    reads = [q["sql"] for q in captured if 'FROM "products_product"' in q["sql"]]
    writes = [i for i, q in enumerate(captured) if q["sql"].startswith('UPDATE "products_product"')]
    lock = reads[0]
    assert all(_names(lock, product) for product in (first, second, third, fourth)), lock
    assert 'ORDER BY "products_product"."id" ASC' in lock
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in lock
    first_lock = next(i for i, q in enumerate(captured) if q["sql"] == lock)
    assert first_lock < min(writes)
    assert StockReservation.objects.filter(status="issued").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_applying_crossing_batches_do_not_deadlock(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and deadlocks: PostgreSQL's (SQLite locks the whole file)")
    low, high = _sorted_products(2)
    batches = [
        [_finished(1, (low, 1)), _finished(2, (high, 1))],
        [_finished(3, (high, 1)), _finished(4, (low, 1))],
    ]
    # After its first order each worker waits for the other to have applied its own
    # first order too: locking order by order, each then holds the product the other
    # needs next (a deadlock, every time). Locking the batch first, the second worker
    # waits on the first's locks, the meeting never happens, and the wait times out.
    meeting = threading.Barrier(2, timeout=1)
    sync = services._reservation_sync

    def issue_then_meet(ask, **kwargs):
        result = sync(ask, **kwargs)
        if ask.order_number in (1, 3):
            with contextlib.suppress(threading.BrokenBarrierError):
                meeting.wait()
        return result

    monkeypatch.setattr(services, "_reservation_sync", issue_then_meet)
    assert run_together([lambda batch=batch: process_batch(batch) for batch in batches]) == [2, 2]
    assert StockReservation.objects.filter(status="issued").count() == 4
    assert sorted(Product.objects.values_list("stock_quantity", flat=True)) == [8, 8]


@pytest.mark.django_db
def test_a_batch_of_asks_costs_the_same_statements_whatever_its_length():
    products = _sorted_products(6)

    def statements(orders):
        batch = [
            order_event(
                uuid.uuid4(), number, (products[number % 6], 1), (products[(number + 1) % 6], 2)
            )
            for number in orders
        ]
        with CaptureQueriesContext(connection) as captured:
            assert process_batch(batch) == len(batch)
        sql = [q["sql"] for q in captured]
        locks = [
            s
            for s in sql
            if s.startswith("SELECT")
            and ('"products_stockreservation"' in s or 'FROM "products_product"' in s)
        ]
        ledger = [s for s in sql if s.startswith('INSERT INTO "products_stockmovement"')]
        moved = [s for s in sql if s.startswith('UPDATE "products_product"')]
        answers = [s for s in sql if s.startswith('INSERT INTO "common_outboxevent"')]
        return len(sql), len(locks), len(ledger), len(moved), len(answers)

    # The batch's reservations and products, locked once (one run: no prepare_batch);
    # one INSERT of the ledger, one UPDATE of the products, one INSERT of the answers,
    # for 2 orders as for 10.
    two, ten = statements(range(10, 12)), statements(range(20, 30))
    assert two == ten
    assert two[1:] == (2, 1, 1, 1)
    assert StockReservation.objects.filter(status="reserved").count() == 12
    for product in Product.objects.all():
        movements = product.movements.all()
        assert sum(m.reserved_delta for m in movements) == product.reserved


@pytest.mark.django_db
def test_an_order_asked_twice_in_one_batch_is_answered_once_with_all_it_moved():
    coffee, sugar, tea = _sorted_products(3)
    order_id = uuid.uuid4()
    placed = order_event(order_id, 7, (coffee, 2), (sugar, 1))
    # A line added before products_api got to the first ask: the second ask moves tea
    # alone, and the one answer still carries coffee and sugar as the first moved them.
    changed = order_event(order_id, 7, (coffee, 2), (sugar, 1), (tea, 1), version=2)
    assert process_batch([placed, changed]) == 2
    answers = list(OutboxEvent.objects.filter(aggregate_id=str(order_id)))
    assert len(answers) == 1
    answer = answers[0].envelope
    assert (answer["type"], answer["version"]) == ("products.stock.reserved", 2)
    assert answer["data"]["order_version"] == 2
    assert [(line["sku"], line["quantity"]) for line in answer["data"]["lines"]] == [
        (product.sku, quantity)
        for product, quantity in sorted(
            [(coffee, 2), (sugar, 1), (tea, 1)], key=lambda pair: pair[0].pk
        )
    ]
    # Every product either ask moved, each as it is now.
    stored = {str(p.pk): p for p in Product.objects.all()}
    carried = {product["id"]: product for product in answer["data"]["products"]}
    assert set(carried) == set(stored)
    for product_id, product in carried.items():
        assert (product["version"], product["reserved"]) == (
            stored[product_id].version,
            stored[product_id].reserved,
        )
    assert [stored[str(p.pk)].reserved for p in (coffee, sugar, tea)] == [2, 1, 1]
    assert [stored[str(p.pk)].version for p in (coffee, sugar, tea)] == [2, 2, 2]
    reservation = StockReservation.objects.get(pk=order_id)
    assert (reservation.version, reservation.order_version) == (2, 2)


@pytest.mark.django_db
def test_orders_sharing_a_product_in_one_batch_carry_it_as_the_batch_left_it():
    (product,) = _sorted_products(1)
    first, second = uuid.uuid4(), uuid.uuid4()
    assert (
        process_batch([order_event(first, 1, (product, 4)), order_event(second, 2, (product, 5))])
        == 2
    )
    product.refresh_from_db()
    assert (product.reserved, product.version) == (9, 3)  # a version per change
    for order_id in (first, second):
        (answer,) = OutboxEvent.objects.filter(aggregate_id=str(order_id))
        (carried,) = answer.envelope["data"]["products"]
        assert (carried["version"], carried["reserved"], carried["available"]) == (3, 9, 1)
    ledger = sorted((m.kind, m.reserved_delta) for m in product.movements.all())
    assert ledger == [("in", 0), ("reserve", 4), ("reserve", 5)]
