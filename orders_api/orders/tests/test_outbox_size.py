"""An order edited many times while its events wait keeps one pending ``updated``
(issue #35, item 1): the outbox does not grow with the number of edits."""

import json

import pytest

from common.auth.actors import Actor
from common.events.models import OutboxEvent
from orders import services
from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor("tester", "tester")


def _outbox_bytes() -> int:
    return sum(
        len(json.dumps(envelope, separators=(",", ":")))
        for envelope in OutboxEvent.objects.values_list("envelope", flat=True)
    )


def test_500_item_adds_while_no_relay_runs_leave_one_pending_update():
    client = ClientSnapshotFactory()
    products = [ProductSnapshotFactory() for _ in range(500)]
    order = services.order_create(
        actor=ACTOR,
        client_id=client.pk,
        items=[services.ItemRequest(products[0].pk, 1)],
    )
    for product in products[1:]:
        services.order_item_add(actor=ACTOR, order_id=order.pk, product_id=product.pk, quantity=1)
    rows = list(OutboxEvent.objects.filter(aggregate_id=str(order.pk)).order_by("id"))
    assert [(row.type, row.version) for row in rows] == [
        ("orders.order.created", 1),
        ("orders.order.updated", 500),
    ]
    assert len(rows[1].envelope["data"]["items"]) == 500
    size = _outbox_bytes()
    print(f"outbox after 500 item adds: {len(rows)} rows, {size} bytes")
    # The newest state alone: one row per add would hold about 250 orders' worth.
    assert size < 2 * len(json.dumps(rows[1].envelope, separators=(",", ":")))
