"""products_api's messages in the reader's language: its refusals, and the ledger reasons
the system writes (stored as a code with parameters, so an old row reads right too)."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as Browser

from common.api.errors import ErrorCode
from common.development.testing import error_texts_not_in_portuguese
from products import services
from products.errors import ProductErrorCode
from products.models import StockMovement
from products.tests.factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.default_language]


def _movements(product):
    return f"/api/v1/products/{product.pk}/stock-movements/"


def _move(client, product, kind, quantity, language):
    return client.post(
        _movements(product),
        {"kind": kind, "quantity": quantity, "reason": "teste"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_every_code_reads_in_portuguese():
    assert error_texts_not_in_portuguese([*ProductErrorCode, *ErrorCode]) == {}


def test_stock_below_zero_in_both_languages(admin_api):
    product = ProductFactory(sku="CAFE", stock_quantity=3, max_quantity=10)
    pt, en = (_move(admin_api, product, "out", 5, language).json() for language in ("pt-BR", "en"))
    assert pt["code"] == en["code"] == "stock_below_zero"
    assert (pt["title"], pt["detail"]) == (
        "Estoque insuficiente",
        "Só há 3 unidades de CAFE em estoque; foram pedidas 5.",
    )
    assert (en["title"], en["detail"]) == (
        "Not enough stock",
        "Only 3 units of CAFE in stock; 5 requested.",
    )


def test_stock_above_its_maximum_in_both_languages(admin_api):
    product = ProductFactory(sku="CAFE", stock_quantity=8, max_quantity=10)
    pt, en = (_move(admin_api, product, "in", 3, language).json() for language in ("pt-BR", "en"))
    assert pt["code"] == en["code"] == "stock_above_maximum"
    assert (pt["title"], pt["detail"]) == (
        "Estoque acima do máximo",
        "O estoque de CAFE ficaria em 11, acima do máximo de 10 (cabem mais 2).",
    )
    assert (en["title"], en["detail"]) == (
        "Stock above its maximum",
        "Stock of CAFE would be 11, above its maximum of 10 (room for 2 more).",
    )


def test_a_field_message_in_both_languages(admin_api):
    product = ProductFactory()
    pt, en = (
        admin_api.patch(
            f"/api/v1/products/{product.pk}/",
            {"min_quantity": 50, "max_quantity": 10},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        ).json()
        for language in ("pt-BR", "en")
    )
    assert pt["errors"]["min_quantity"] == ["O mínimo (50) não pode ser maior que o máximo (10)."]
    assert en["errors"]["min_quantity"] == ["The minimum (50) cannot be above the maximum (10)."]


def _system_movements(admin_api):
    product = services.product_create(
        actor=None, sku="CHA", name="Chá", price="5.00", max_quantity=50, stock_quantity=20
    )
    items = [{"product_id": str(product.pk), "quantity": 2}]
    finished, cancelled = uuid.uuid4(), uuid.uuid4()
    for order_id, number, status, version in (
        (finished, 5, "finished", 2),
        (cancelled, 6, "open", 1),
        (cancelled, 6, "cancelled", 2),
    ):
        services.stock_reservations_sync(
            asks=[services.StockAsk(order_id, number, version, status, items)]
        )
    return product


def test_the_systems_ledger_reasons_read_in_the_readers_language(admin_api):
    product = _system_movements(admin_api)
    rows = {
        language: [
            (row["reason"], row["reason_code"])
            for row in admin_api.get(_movements(product), HTTP_ACCEPT_LANGUAGE=language).json()[
                "results"
            ]
        ]
        for language in ("pt-BR", "en")
    }
    assert rows == {
        "pt-BR": [
            ("Pedido nº 6 liberado", "order_released"),
            ("Pedido nº 6 reservado", "order_reserved"),
            ("Pedido nº 5 finalizado", "order_finished"),
            ("Pedido nº 5 reservado", "order_reserved"),
            ("Estoque inicial", "initial_stock"),
        ],
        "en": [
            ("Order #6 released", "order_released"),
            ("Order #6 reserved", "order_reserved"),
            ("Order #5 finished", "order_finished"),
            ("Order #5 reserved", "order_reserved"),
            ("Initial stock", "initial_stock"),
        ],
    }
    assert set(StockMovement.objects.values_list("reason", flat=True)) == {""}


def test_a_persons_reason_is_shown_as_typed(admin_api):
    product = ProductFactory(stock_quantity=5)
    assert _move(admin_api, product, "out", 1, "en").status_code == 201
    (row,) = admin_api.get(_movements(product), HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert (row["reason"], row["reason_code"]) == ("teste", "")


def test_the_admin_shows_the_reasons_in_its_language(admin_api):
    product = _system_movements(admin_api)
    browser = Browser()
    browser.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    for language, expected in (("pt-BR", "Pedido nº 5 finalizado"), ("en", "Order #5 finished")):
        for url in (
            "/admin/products/stockmovement/",
            f"/admin/products/product/{product.pk}/change/",
        ):
            page = browser.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            assert expected in page, (language, url)
    movement = StockMovement.objects.get(reason_code="initial_stock")
    page = browser.get(
        f"/admin/products/stockmovement/{movement.pk}/change/", HTTP_ACCEPT_LANGUAGE="pt-BR"
    ).content.decode()
    assert "Estoque inicial" in page


BEFORE = [("products", "0004_product_search_text")]
AFTER = [("products", "0005_stock_movement_reason_code")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_the_systems_english_reasons_into_codes():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        product = apps.get_model("products", "Product").objects.create(
            sku="OLD", name="Old", price="1.00", stock_quantity=10, max_quantity=50
        )
        movement = apps.get_model("products", "StockMovement")
        common = {"product": product, "kind": "in", "quantity": 1, "delta": 1}
        for reason, author in (
            ("Initial stock", "7"),
            ("Order #12 finished", ""),
            ("Order #13 finished, late", ""),
            ("Order #14 finished", "7"),  # a person typed it: kept as typed
            ("compra", "7"),
        ):
            movement.objects.create(
                **common, quantity_before=0, quantity_after=1, reason=reason, created_by=author
            )
        MigrationExecutor(connection).migrate(AFTER)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("products"))
    rows = sorted(StockMovement.objects.values_list("reason", "reason_code", "reason_params"))
    assert rows == [
        ("", "initial_stock", {}),
        ("", "order_finished", {"order_number": 12}),
        ("Order #13 finished, late", "", {}),
        ("Order #14 finished", "", {}),
        ("compra", "", {}),
    ]
