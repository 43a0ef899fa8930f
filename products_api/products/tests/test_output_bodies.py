"""The JSON bodies, field by field, as captured before the views shared a base class and
stopped reading back what they had: a refactor of the HTTP layer keeps them."""

import datetime
import uuid
from decimal import Decimal

import pytest

from common.development.testing import access_token, one_page, without_generated
from products.models import Product, StockMovement

pytestmark = pytest.mark.django_db

PRODUCT_ID = uuid.UUID("5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c01")
MOVEMENT_ID = uuid.UUID("5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c02")
USER_ID = uuid.UUID("5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c03")
WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=datetime.UTC)


@pytest.fixture
def admin(api_client):
    """A superuser whose id the ledger records."""
    token = access_token(is_superuser=True, user_id=USER_ID, username="ana")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


@pytest.fixture
def product_row():
    product = Product.objects.create(
        id=PRODUCT_ID,
        sku="CAFE-500",
        name="Café torrado 500 g",
        description="Grãos selecionados",
        price=Decimal("23.90"),
        stock_quantity=12,
        min_quantity=3,
        max_quantity=100,
    )
    StockMovement.objects.create(
        id=MOVEMENT_ID,
        product=product,
        kind="in",
        quantity=12,
        delta=12,
        quantity_before=0,
        quantity_after=12,
        reason_code="initial_stock",
        reference="NF 123",
        created_by="7",
        created_by_username="ana",
    )
    StockMovement.objects.update(created_at=WHEN)
    Product.objects.update(created_at=WHEN, updated_at=WHEN)
    return product


PRODUCT = {
    "id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c01",
    "sku": "CAFE-500",
    "name": "Café torrado 500 g",
    "description": "Grãos selecionados",
    "price": "23.90",
    "is_active": True,
    "stock_quantity": 12,
    "min_quantity": 3,
    "max_quantity": 100,
    "low_stock": False,
    "reserved": 0,
    "available": 12,
    "version": 1,
    "created_at": "2026-03-04T05:06:07.890123Z",
    "updated_at": "2026-03-04T05:06:07.890123Z",
}
MOVEMENT = {
    "id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c02",
    "product_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c01",
    "kind": "in",
    "quantity": 12,
    "delta": 12,
    "reserved_delta": 0,
    "quantity_before": 0,
    "quantity_after": 12,
    "reason": "Initial stock",
    "reason_code": "initial_stock",
    "reference": "NF 123",
    "created_by": "7",
    "created_by_username": "ana",
    "created_at": "2026-03-04T05:06:07.890123Z",
}


@pytest.mark.parametrize(
    ("path", "etag", "body"),
    [
        (f"products/{PRODUCT_ID}/", '"1"', PRODUCT),
        ("products/", None, one_page(PRODUCT)),
        (f"products/{PRODUCT_ID}/stock-movements/", None, one_page(MOVEMENT)),
    ],
)
def test_the_body_is_the_one_captured(admin_api, product_row, path, etag, body):
    response = admin_api.get(f"/api/v1/{path}")
    assert response.status_code == 200
    assert response.get("ETag") == etag
    assert response.json() == body


WRITES = [
    (
        "post",
        "products/",
        {
            "sku": " cha-1 ",
            "name": " Chá ",
            "price": "4.5",
            "max_quantity": 50,
            "min_quantity": 5,
            "stock_quantity": 7,
        },
        201,
        '"1"',
        {
            "sku": "CHA-1",
            "name": "Chá",
            "description": "",
            "price": "4.50",
            "is_active": True,
            "stock_quantity": 7,
            "min_quantity": 5,
            "max_quantity": 50,
            "low_stock": False,
            "reserved": 0,
            "available": 7,
            "version": 1,
        },
    ),
    (
        "patch",
        f"products/{PRODUCT_ID}/",
        {"name": "Café 500 g", "min_quantity": 20},
        200,
        '"2"',
        {
            "sku": "CAFE-500",
            "name": "Café 500 g",
            "description": "Grãos selecionados",
            "price": "23.90",
            "is_active": True,
            "stock_quantity": 12,
            "min_quantity": 20,
            "max_quantity": 100,
            "low_stock": True,
            "reserved": 0,
            "available": 12,
            "version": 2,
        },
    ),
    (
        "put",
        f"products/{PRODUCT_ID}/",
        {"sku": "cafe-500", "name": "Café", "price": "25.00", "max_quantity": 90},
        200,
        '"3"',
        {
            "sku": "CAFE-500",
            "name": "Café",
            "description": "Grãos selecionados",
            "price": "25.00",
            "is_active": True,
            "stock_quantity": 12,
            "min_quantity": 20,
            "max_quantity": 90,
            "low_stock": True,
            "reserved": 0,
            "available": 12,
            "version": 3,
        },
    ),
    (
        "post",
        f"products/{PRODUCT_ID}/stock-movements/",
        {"kind": "out", "quantity": 2, "reason": " venda ", "reference": "pedido 9"},
        201,
        '"4"',
        {
            "product_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c01",
            "kind": "out",
            "quantity": 2,
            "delta": -2,
            "reserved_delta": 0,
            "quantity_before": 12,
            "quantity_after": 10,
            "reason": "venda",
            "reason_code": "",
            "reference": "pedido 9",
            "created_by": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c03",
            "created_by_username": "ana",
            "stock_quantity": 10,
            "product_version": 4,
        },
    ),
    (
        "post",
        f"products/{PRODUCT_ID}/stock-movements/",
        {"kind": "adjustment", "quantity": 40, "reason": "contagem"},
        201,
        '"5"',
        {
            "product_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c01",
            "kind": "adjustment",
            "quantity": 40,
            "delta": 30,
            "reserved_delta": 0,
            "quantity_before": 10,
            "quantity_after": 40,
            "reason": "contagem",
            "reason_code": "",
            "reference": "",
            "created_by": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c03",
            "created_by_username": "ana",
            "stock_quantity": 40,
            "product_version": 5,
        },
    ),
]


def test_writes_answer_the_bodies_captured(admin, product_row):
    """Each write in turn (they build on each other): status, ETag and body but for ids
    and timestamps."""
    for method, path, body, status, etag, expected in WRITES:
        response = getattr(admin, method)(f"/api/v1/{path}", body, format="json")
        assert (response.status_code, response.get("ETag")) == (status, etag), path
        assert without_generated(response.json()) == expected, path
