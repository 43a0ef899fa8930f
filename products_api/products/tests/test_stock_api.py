"""Stock moves only through the ledger, never below zero or above the maximum."""

import contextlib

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from common.errors import DomainError
from common.events.models import OutboxEvent
from common.testing import access_token, run_together
from products import services
from products.models import Product, StockMovement
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _url(product):
    return f"/api/v1/products/{product.pk}/stock-movements/"


def _move(client, product, kind, quantity, **extra):
    body = {"kind": kind, "quantity": quantity, "reason": "test", **extra}
    return client.post(_url(product), body, format="json")


def test_in_out_and_adjustment_answer_with_the_new_quantity(admin_api):
    product = ProductFactory(stock_quantity=10)
    response = _move(admin_api, product, "in", 5, reference="NF-123")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["stock_quantity"], body["delta"], body["quantity_before"]) == (15, 5, 10)
    assert body["reference"] == "NF-123"
    assert body["product_version"] == product.version + 1
    assert _move(admin_api, product, "out", 3).json()["stock_quantity"] == 12
    adjusted = _move(admin_api, product, "adjustment", 7).json()
    assert (adjusted["stock_quantity"], adjusted["delta"]) == (7, -5)
    product.refresh_from_db()
    assert product.stock_quantity == 7


def test_who_moved_it_is_recorded(client_with):
    product = ProductFactory(stock_quantity=1)
    client = client_with("products.add_stockmovement")
    body = _move(client, product, "in", 1).json()
    assert body["created_by"] and body["created_by_username"] == "tester"


def test_out_beyond_the_stock_is_409_naming_the_quantities(admin_api):
    product = ProductFactory(stock_quantity=3, max_quantity=10)
    response = _move(admin_api, product, "out", 5)
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "stock_below_zero"
    assert (problem["stock_quantity"], problem["requested"]) == (3, 5)
    assert "Only 3 units" in problem["detail"]
    product.refresh_from_db()
    assert product.stock_quantity == 3
    assert not StockMovement.objects.exists()


def test_in_beyond_the_maximum_is_409(admin_api):
    product = ProductFactory(stock_quantity=8, max_quantity=10)
    response = _move(admin_api, product, "in", 3)
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "stock_above_maximum"
    assert (problem["max_quantity"], problem["stock_quantity"]) == (10, 8)
    assert "room for 2 more" in problem["detail"]
    assert _move(admin_api, product, "adjustment", 11).status_code == 409
    assert _move(admin_api, product, "in", 2).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "steal", "quantity": 1, "reason": "x"}, "kind"),
        ({"kind": "in", "quantity": -1, "reason": "x"}, "quantity"),
        ({"kind": "in", "quantity": "many", "reason": "x"}, "quantity"),
        ({"kind": "in", "quantity": 1, "reason": ""}, "reason"),
        ({"kind": "in", "quantity": 1}, "reason"),
    ],
)
def test_bad_movements_are_400(admin_api, body, field):
    product = ProductFactory()
    response = admin_api.post(_url(product), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_zero_units_in_or_out_is_refused(admin_api):
    product = ProductFactory(stock_quantity=5)
    response = _move(admin_api, product, "out", 0)
    assert response.status_code == 400
    assert "at least one unit" in response.json()["errors"]["quantity"][0]


def test_the_ledger_lists_newest_first_and_filters(admin_api, django_assert_num_queries):
    product = ProductFactory(stock_quantity=50)
    for n in range(12):
        _move(admin_api, product, "out" if n % 2 else "in", 1)
    with django_assert_num_queries(3):  # product exists, count, page
        body = admin_api.get(f"{_url(product)}?limit=5").json()
    assert body["count"] == 12 and len(body["results"]) == 5
    with django_assert_num_queries(3):
        admin_api.get(f"{_url(product)}?limit=12")
    outs = admin_api.get(f"{_url(product)}?kind=out").json()
    assert outs["count"] == 6
    assert (
        admin_api.get(
            "/api/v1/products/00000000-0000-0000-0000-000000000000/stock-movements/"
        ).status_code
        == 404
    )


def test_a_movement_publishes_one_updated_event(admin_api):
    product = ProductFactory(stock_quantity=4)
    before = set(OutboxEvent.objects.values_list("pk", flat=True))
    _move(admin_api, product, "out", 1)
    _move(admin_api, product, "out", 10)  # refused: no event
    new = OutboxEvent.objects.exclude(pk__in=before)
    assert [(e.type, e.version) for e in new] == [("products.product.updated", 2)]
    data = new.get().envelope["data"]
    assert (data["stock_quantity"], data["max_quantity"], data["price"]) == (3, 100, "19.90")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moves=st.lists(
        st.tuples(
            st.sampled_from(["in", "out", "adjustment"]), st.integers(min_value=0, max_value=40)
        ),
        max_size=25,
    ),
    initial=st.integers(min_value=0, max_value=30),
)
def test_the_ledger_always_adds_up_to_the_stock(moves, initial):
    product = services.product_create(
        actor=None,
        sku=f"P{Product.objects.count()}",
        name="p",
        price=1,
        max_quantity=60,
        stock_quantity=initial,
    )
    for kind, quantity in moves:
        # A refused move (out of bounds, zero units) must leave the ledger as it was.
        with contextlib.suppress(ValidationError, DomainError):
            services.stock_movement_create(
                actor=None, product_id=product.pk, kind=kind, quantity=quantity, reason="property"
            )
    product.refresh_from_db()
    ledger = list(product.movements.values_list("delta", flat=True))
    assert sum(ledger) == product.stock_quantity
    assert 0 <= product.stock_quantity <= product.max_quantity


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_outs_against_twenty_never_oversell():
    with transaction.atomic():
        product = ProductFactory(stock_quantity=20, max_quantity=100)
    token = access_token(permissions=["products.add_stockmovement"])

    def take_one():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return _move(client, product, "out", 1).status_code

    statuses = run_together([take_one] * 50)
    assert sorted(statuses) == [201] * 20 + [409] * 30
    product.refresh_from_db()
    assert product.stock_quantity == 0
    assert product.movements.filter(kind="out").count() == 20
    events = OutboxEvent.objects.filter(aggregate_id=str(product.pk)).order_by("id")
    # No relay runs: each move's event replaced the one still waiting (recording's
    # collapse), so one pending event carries the state after the twentieth move; but
    # the crossing of the minimum (2) is recorded between, and an update is never folded
    # across it: the one before it and the one after.
    assert list(events.values_list("type", "version", "envelope__data__stock_quantity")) == [
        ("products.product.created", 1, 20),
        ("products.product.updated", 19, 2),
        ("products.stock.low", 19, 2),
        ("products.product.updated", 21, 0),
    ]


def test_a_movement_updates_the_stock_version_and_time_only(admin_api):
    """The locked row's other columns are not written back (they cannot have changed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    product = ProductFactory(stock_quantity=3)
    with CaptureQueriesContext(connection) as queries:
        assert _move(admin_api, product, "in", 2).status_code == 201
    (update,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assignments = update.split(" SET ")[1].split(" WHERE ")[0]
    assert sorted(part.split(" = ")[0] for part in assignments.split(", ")) == [
        '"stock_quantity"',
        '"updated_at"',
        '"version"',
    ]
    product.refresh_from_db()
    assert (product.stock_quantity, product.version) == (5, 2)
