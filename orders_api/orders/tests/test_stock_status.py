"""stock_status: every change of an order's lines or status asks products_api
(``pending``), whose answer (reserved, refused, issued, released) is recorded through
the real consumer; finishing follows it; the sweep and ``request_reservations`` ask
again for what is still pending."""

import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.auth.actors import Actor
from common.events.consumer import handle_event, handled_types, process_batch
from common.events.convergence import sweep, sweep_interval
from common.events.models import InboxEvent, OutboxEvent
from orders import services
from orders.models import Order
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor("u", "u")


def _open_order(quantity=2, stock=10, available=None):
    client = ClientSnapshotFactory()
    product = ProductSnapshotFactory(
        stock_quantity=stock,
        available=stock if available is None else available,
        price=Decimal("2.00"),
    )
    order = services.order_create(
        actor=ACTOR, client_id=client.pk, items=[services.ItemRequest(product.pk, quantity)]
    )
    return order, product


def _finish(order):
    return services.order_finish(order_id=order.pk, actor=ACTOR, expected_version=None)


def _answer(order, status, order_version=None, event_type=None, repeat=False, **data):
    """products_api's answer, to the version the order was asked at unless told (a
    ``repeat``: its sweep's), through the real consumer; the order after it."""
    event = _answer_event(order, status, order_version, event_type, repeat, **data)
    handle_event.apply(args=[event]).get()
    order.refresh_from_db()
    return order


def _answer_event(order, status, order_version=None, event_type=None, repeat=False, **data):
    body = {
        "order_id": str(order.pk),
        "order_number": order.number,
        "order_version": order.stock_asked_version if order_version is None else order_version,
        "status": status,
        "reason": "",
        "lines": [],
        "shortages": [],
        **data,
    }
    event = {
        "id": str(uuid.uuid4()),
        "type": event_type or f"products.stock.{status}",
        "source": "products_api",
        "aggregate_id": str(order.pk),
        "version": 1,
        "occurred_at": "2026-11-29T00:00:00Z",
        "data": body,
    }
    if repeat:
        event["repeat"] = True
    return event


def _events(order):
    return list(
        OutboxEvent.objects.filter(aggregate_id=str(order.pk))
        .order_by("id")
        .values_list("type", "version", "envelope__data__stock_status")
    )


def _shortage(product, requested=2, available=1):
    return {
        "product_id": str(product.pk),
        "sku": product.sku,
        "requested": requested,
        "available": available,
    }


def test_placing_an_order_asks_for_its_stock_and_the_answer_is_recorded(admin_api):
    order, _ = _open_order()
    assert (order.stock_status, order.stock_asked_version) == ("pending", 1)
    assert _events(order) == [("orders.order.created", 1, "pending")]
    order = _answer(order, "reserved")
    assert order.stock_status == "reserved"
    assert _events(order)[-1] == ("orders.order.updated", 2, "reserved")
    body = admin_api.get(f"/api/v1/orders/{order.pk}/").json()
    assert body["stock_status"] == "reserved"
    assert admin_api.get("/api/v1/orders/?stock_status=reserved").json()["count"] == 1


def test_changing_items_asks_again_and_an_answer_to_the_old_lines_is_ignored():
    order, product = _open_order()
    order = _answer(order, "reserved")
    item = order.items.get()
    services.order_item_update(
        actor=ACTOR, order_id=order.pk, item_id=item.pk, quantity=5, expected_version=None
    )
    order.refresh_from_db()
    assert (order.stock_status, order.stock_asked_version) == ("pending", order.version)
    asked = order.version
    assert _events(order)[-1] == ("orders.order.updated", asked, "pending")
    order = _answer(order, "reserved", order_version=asked - 1)  # late: the old lines
    assert (order.stock_status, order.version) == ("pending", asked)
    order = _answer(order, "reserved", order_version=asked + 1)  # a newer one counts too
    assert order.stock_status == "reserved"
    order_id = order.pk
    for change in (
        lambda: services.order_item_add(
            actor=ACTOR, order_id=order_id, product_id=product.pk, quantity=1
        ),
        lambda: services.order_item_remove(
            actor=ACTOR, order_id=order_id, item_id=item.pk, expected_version=None
        ),
    ):
        change()
        order.refresh_from_db()
        assert order.stock_status == "pending"
        order = _answer(order, "reserved")


def test_notes_do_not_ask_again():
    order, _ = _open_order()
    order = _answer(order, "reserved")
    services.order_update(actor=ACTOR, order_id=order.pk, expected_version=None, notes="x")
    order.refresh_from_db()
    assert order.stock_status == "reserved"


def test_a_refused_order_shows_its_shortages_and_finishing_it_is_409(admin_api, client_with):
    order, product = _open_order()
    shortage = _shortage(product)
    order = _answer(order, "refused", reason="Not enough stock", shortages=[shortage])
    assert (order.stock_status, order.stock_shortages) == ("refused", [shortage])
    events = len(_events(order))
    response = admin_api.post(f"/api/v1/orders/{order.pk}/finish")
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "stock_refused"
    assert problem["shortages"] == [shortage]
    assert product.sku in problem["detail"]
    pt = admin_api.post(f"/api/v1/orders/{order.pk}/finish", HTTP_ACCEPT_LANGUAGE="pt-BR").json()
    assert pt["title"] == "Estoque recusado"
    order.refresh_from_db()
    assert order.status == "open" and len(_events(order)) == events  # nothing published
    forbidden = client_with("orders.view_order").post(f"/api/v1/orders/{order.pk}/finish")
    assert forbidden.status_code == 403
    # Changing the items asks again; reserved, the order finishes.
    services.order_item_update(
        actor=ACTOR,
        order_id=order.pk,
        item_id=order.items.get().pk,
        quantity=1,
        expected_version=None,
    )
    order.refresh_from_db()
    order = _answer(order, "reserved", lines=[{"product_id": str(product.pk), "quantity": 1}])
    assert order.stock_shortages == [] and order.stock_reason == ""
    assert admin_api.post(f"/api/v1/orders/{order.pk}/finish").status_code == 200


def test_a_refusals_reason_reads_in_the_readers_language(admin_api, admin_signed_in):
    order, product = _open_order()
    order = _answer(
        order,
        "refused",
        reason=f"Not enough stock for {product.sku}",  # products_api's words, for its event
        shortages=[_shortage(product)],
    )
    url = f"/api/v1/orders/{order.pk}/"
    pt = admin_api.get(url, HTTP_ACCEPT_LANGUAGE="pt-BR").json()
    assert pt["stock_reason"] == f"Estoque insuficiente para {product.sku}."
    en = admin_api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["stock_reason"] == f"Not enough stock for {product.sku}."
    clerk = admin_signed_in("orders.view_order")
    page = clerk.get(f"/admin/orders/order/{order.pk}/change/", HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert f"Estoque insuficiente para {product.sku}." in page.content.decode()


def test_finishing_a_reserved_order_never_fails_for_stock_and_waits_for_the_issue():
    order, product = _open_order(quantity=2, stock=2)
    order = _answer(order, "reserved")
    product.available = 0  # what this order holds is not available to others
    product.save()
    order = _finish(order)
    assert (order.status, order.stock_status) == ("finished", "pending")
    assert _events(order)[-1] == ("orders.order.finished", order.version, "pending")
    order = _answer(order, "issued")
    assert order.stock_status == "issued"


def test_placing_lines_checks_the_copies_available_first(admin_api):
    client = ClientSnapshotFactory()
    product = ProductSnapshotFactory(sku="POUCO", stock_quantity=10, available=3)
    events = OutboxEvent.objects.count()
    response = admin_api.post(
        "/api/v1/orders/",
        {
            "client_id": str(client.pk),
            "items": [
                {"product_id": str(product.pk), "quantity": 2},
                {"product_id": str(product.pk), "quantity": 2},
            ],
        },
        format="json",
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "insufficient_stock"
    assert problem["shortages"] == [
        {"product_id": str(product.pk), "sku": "POUCO", "requested": 4, "available": 3}
    ]
    assert not Order.objects.exists() and OutboxEvent.objects.count() == events
    order = admin_api.post(
        "/api/v1/orders/",
        {"client_id": str(client.pk), "items": [{"product_id": str(product.pk), "quantity": 3}]},
        format="json",
    ).json()
    product.available = 0  # this order holds the 3
    product.save()
    url = f"/api/v1/orders/{order['id']}/items/"
    added = admin_api.post(url, {"product_id": str(product.pk), "quantity": 1}, format="json")
    assert added.status_code == 409 and added.json()["code"] == "insufficient_stock"
    item = f"{url}{order['items'][0]['id']}/"
    # Fewer units need nothing more; more need the increase available.
    assert admin_api.patch(item, {"quantity": 2}, format="json").status_code == 200
    more = admin_api.patch(item, {"quantity": 4}, format="json")
    assert more.status_code == 409
    assert more.json()["shortages"][0]["requested"] == 2
    # Finishing a pending order is no fast check: products_api answers it.
    finished = admin_api.post(f"/api/v1/orders/{order['id']}/finish")
    assert finished.status_code == 200
    assert finished.json()["stock_status"] == "pending"


def test_a_finished_order_refused_by_products_api_can_be_cancelled_which_asks_for_release(
    client_with,
):
    order, product = _open_order()
    order = _answer(_finish(order), "refused", shortages=[_shortage(product)])
    assert (order.status, order.stock_status) == ("finished", "refused")
    assert (
        client_with("orders.change_order").post(f"/api/v1/orders/{order.pk}/cancel").status_code
        == 403
    )
    cancelled = client_with("orders.cancel_order").post(
        f"/api/v1/orders/{order.pk}/cancel", {"reason": "sem estoque"}, format="json"
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["stock_status"]) == (
        "cancelled",
        "pending",
    )
    order.refresh_from_db()
    assert _events(order)[-1] == ("orders.order.cancelled", order.version, "pending")
    order = _answer(order, "released")
    assert order.stock_status == "released"
    assert order.stock_shortages == [_shortage(product)]  # why it was never issued


def test_an_issued_order_cannot_be_cancelled(admin_api):
    order, _ = _open_order()
    order = _answer(_finish(_answer(order, "reserved")), "issued")
    assert admin_api.post(f"/api/v1/orders/{order.pk}/cancel").status_code == 409
    assert order.status == "finished"


def test_repeated_or_late_answers_change_nothing():
    order, _ = _open_order()
    order = _answer(order, "reserved")
    version = order.version
    order = _answer(order, "refused", reason="late")
    assert (order.stock_status, order.version) == ("reserved", version)


def test_an_answer_to_an_order_finished_before_reservations_is_taken():
    order, product = _open_order()
    order = _finish(order)
    # products_api's StockIssue answers carry no order_version; ``rejected`` is refused.
    order = _answer(order, "rejected", order_version=None, shortages=[_shortage(product)])
    order.refresh_from_db()
    assert order.stock_status == "refused"
    assert handled_types() >= {
        "products.stock.reserved",
        "products.stock.refused",
        "products.stock.issued",
        "products.stock.released",
        "products.stock.rejected",
    }


def test_the_sweep_asks_again_for_every_pending_order_however_old_and_stops_once_answered():
    opened, _ = _open_order()
    finished, _ = _open_order()
    finished = _finish(_answer(finished, "reserved"))
    cancelled, _ = _open_order()
    services.order_cancel(order_id=cancelled.pk, actor=ACTOR, expected_version=None)
    cancelled.refresh_from_db()
    settled, _ = _open_order()
    settled = _answer(settled, "reserved")
    OutboxEvent.objects.update(sent_at=timezone.now() - timedelta(days=1))  # long sent
    since = timezone.now() - timedelta(minutes=5)
    assert sweep(since=since) == 3
    repeats = {
        event.aggregate_id: (event.type, event.version, event.envelope["data"]["stock_status"])
        for event in OutboxEvent.objects.filter(repeat=True)
    }
    assert repeats == {
        str(opened.pk): ("orders.order.updated", opened.version, "pending"),
        str(finished.pk): ("orders.order.finished", finished.version, "pending"),
        str(cancelled.pk): ("orders.order.cancelled", cancelled.version, "pending"),
    }
    for order, answer in ((opened, "reserved"), (finished, "issued"), (cancelled, "released")):
        _answer(order, answer)
    OutboxEvent.objects.update(sent_at=timezone.now() - timedelta(days=1))
    assert sweep(since=since) == 0  # all answered: settled


def test_the_sweep_leaves_the_orders_queued_behind_the_last_answered_to_their_answers():
    lost, _ = _open_order()  # asked first; products_api answered a later ask, not this one
    answered, _ = _open_order()
    answered = _answer(answered, "reserved")
    queued, _ = _open_order()  # asked after it: waits in products_api's queue
    OutboxEvent.objects.update(sent_at=timezone.now())  # every ask in the sweep's window

    def swept():
        before = set(OutboxEvent.objects.filter(repeat=True).values_list("pk", flat=True))
        sweep(since=timezone.now() - timedelta(minutes=5))
        return {
            event.aggregate_id: event.envelope["data"]["stock_status"]
            for event in OutboxEvent.objects.filter(repeat=True).exclude(pk__in=before)
        }

    assert swept() == {str(lost.pk): "pending", str(answered.pk): "reserved"}
    # No answer within the last half interval: products_api may have lost them all.
    InboxEvent.objects.update(
        received_at=timezone.now() - timedelta(seconds=sweep_interval() / 2 + 1)
    )
    _answer(answered, "reserved", repeat=True)  # products_api's sweep: no answer to an ask
    assert swept() == {
        str(lost.pk): "pending",
        str(answered.pk): "reserved",
        str(queued.pk): "pending",
    }


def test_request_reservations_asks_for_the_open_pending_orders_only_and_can_run_again():
    pending, _ = _open_order()
    reserved, _ = _open_order()
    reserved = _answer(reserved, "reserved")
    finished, _ = _open_order()
    _finish(finished)
    before = set(OutboxEvent.objects.values_list("pk", flat=True))
    for run in (1, 2):
        out = io.StringIO()
        call_command("request_reservations", stdout=out)
        assert "1 open orders asked" in out.getvalue()
        new = OutboxEvent.objects.exclude(pk__in=before)
        assert (
            list(new.values_list("aggregate_id", "type", "version", "repeat"))
            == [(str(pending.pk), "orders.order.updated", 1, True)] * run
        )
    pending.refresh_from_db()
    assert (pending.version, pending.stock_status) == (1, "pending")  # nothing changed here


def _carried(product, version, **data):
    """A product as products_api's answer carries it: its event data, and its version."""
    return {
        "id": str(product.pk),
        "sku": product.sku,
        "name": product.name,
        "description": "",
        "price": f"{product.price:.2f}",
        "is_active": True,
        "stock_quantity": product.stock_quantity,
        "min_quantity": product.min_quantity,
        "max_quantity": product.max_quantity,
        "low_stock": False,
        "version": version,
        **data,
    }


def _product_updated(product, version, **data):
    body = _carried(product, version, **data)
    return {
        "id": str(uuid.uuid4()),
        "type": "products.product.updated",
        "source": "products_api",
        "aggregate_id": str(product.pk),
        "version": body.pop("version"),
        "occurred_at": "2026-11-29T00:00:00Z",
        "data": body,
    }


def test_an_answer_moves_the_copies_of_the_products_it_carries_and_newest_wins():
    order, product = _open_order(quantity=2, stock=10)
    assert product.version == 1
    _answer(order, "reserved", products=[_carried(product, 3, reserved=2, available=8)])
    product.refresh_from_db()
    assert (product.version, product.available) == (3, 8)
    # The product's own event of an older version, late (an edit published before the
    # reservation): the copy already has what it said, and more.
    handle_event.apply(args=[_product_updated(product, 2, name="Velho", available=10)]).get()
    # Another order's late answer carrying an older version moves nothing back either.
    other, _ = _open_order(quantity=1)
    _answer(other, "reserved", products=[_carried(product, 2, available=10)])
    product.refresh_from_db()
    assert (product.version, product.available) == (3, 8)
    # A newer edit wins, with the available it carries.
    handle_event.apply(args=[_product_updated(product, 4, name="Novo", available=7)]).get()
    product.refresh_from_db()
    assert (product.version, product.available, product.name) == (4, 7, "Novo")


def test_a_repeated_answer_that_moves_a_copy_is_not_a_repair():
    order, product = _open_order()
    order_version = order.stock_asked_version
    event_id = str(uuid.uuid4())
    event = {
        "id": event_id,
        "type": "products.stock.reserved",
        "source": "products_api",
        "aggregate_id": str(order.pk),
        "version": 1,
        "occurred_at": "2026-11-29T00:00:00Z",
        "repeat": True,
        "data": {
            "order_id": str(order.pk),
            "order_number": order.number,
            "order_version": order_version,
            "status": "reserved",
            "reason": "",
            "lines": [],
            "shortages": [],
            "products": [_carried(product, 2, available=5)],
        },
    }
    handle_event.apply(args=[event]).get()
    product.refresh_from_db()
    assert (product.version, product.available) == (2, 5)
    assert InboxEvent.objects.get(event_id=event_id).repaired_from is None


def test_a_sweeps_repeated_answers_to_orders_no_longer_pending_cost_one_read_and_no_inbox_row(
    django_assert_num_queries,
):
    answered = [_answer(_open_order()[0], "reserved") for _ in range(3)]
    waiting, _ = _open_order()  # its answer was lost: the repeat is what answers it
    inbox = InboxEvent.objects.count()
    repeats = [_answer_event(order, "reserved", repeat=True) for order in answered]
    with django_assert_num_queries(1):  # which of them still wait; no transaction
        assert process_batch(repeats) == 0
    assert InboxEvent.objects.count() == inbox
    batch = [*repeats, _answer_event(waiting, "reserved", repeat=True)]
    assert process_batch(batch) == 1
    waiting.refresh_from_db()
    assert waiting.stock_status == "reserved"
    assert InboxEvent.objects.count() == inbox + 1
    # An original answer is never sifted: it is what a pending order waits for.
    late = _answer_event(answered[0], "refused")
    assert process_batch([late]) == 1
    answered[0].refresh_from_db()
    assert answered[0].stock_status == "reserved"


def test_a_batch_of_answers_locks_the_orders_reads_their_items_and_writes_them_once():
    orders = [_open_order()[0] for _ in range(5)]
    refused = orders[-1]
    batch = [_answer_event(order, "reserved") for order in orders[:-1]]
    batch.append(_answer_event(refused, "refused", reason="short", shortages=[{"sku": "X"}]))
    # A second answer to an order answered earlier in the same batch changes nothing.
    batch.append(_answer_event(orders[0], "refused", reason="late"))
    with CaptureQueriesContext(connection) as queries:
        assert process_batch(batch) == 6
    statements = [query["sql"] for query in queries.captured_queries]
    reads = [s for s in statements if s.startswith("SELECT") and 'FROM "orders_order"' in s]
    items = [s for s in statements if s.startswith("SELECT") and "orders_orderitem" in s]
    assert len(reads) == 1 and len(items) == 1
    # The five orders that took an answer: one UPDATE, and their events one INSERT.
    writes = [s.split('"')[1] for s in statements if s.startswith(("UPDATE", "INSERT"))]
    assert writes.count("orders_order") == 1
    assert writes.count("common_outboxevent") == 1
    if connection.features.has_select_for_update:  # SQLite locks the whole file instead
        assert "FOR UPDATE" in reads[0]
    for order in orders:
        order.refresh_from_db()
    assert [order.stock_status for order in orders] == ["reserved"] * 4 + ["refused"]
    assert (refused.stock_reason, refused.stock_shortages) == ("short", [{"sku": "X"}])
    # One orders.order.updated per order that took an answer, carrying its items.
    for order in orders:
        (answered,) = [e for e in _events(order) if e[2] != "pending"]
        assert answered[0] == "orders.order.updated"
    event = OutboxEvent.objects.filter(aggregate_id=str(orders[0].pk)).latest("id")
    assert len(event.envelope["data"]["items"]) == 1


def test_a_shortage_without_a_sku_is_named_by_its_product_or_a_question_mark():
    order = Order(stock_shortages=[{"product_id": "p1", "sku": ""}, {"requested": 2}])
    assert order.short_skus() == "p1, ?"  # never a KeyError on a read
