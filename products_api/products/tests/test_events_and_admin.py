"""Events per change, snapshots, bad input, and the admin moving stock through the service."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client as Browser

from common.actors import Actor
from common.events.models import OutboxEvent
from products import services
from products.models import Product, StockMovement
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _events(product):
    return [
        (e.type, e.version)
        for e in OutboxEvent.objects.filter(aggregate_id=str(product.pk)).order_by("id")
    ]


def test_create_update_deactivate_each_publish_one_event(admin_api):
    response = admin_api.post(
        "/api/v1/products/",
        {"sku": "X1", "name": "X", "price": "2.50", "max_quantity": 9, "stock_quantity": 4},
        format="json",
    )
    product = Product.objects.get()
    assert _events(product) == [("products.product.created", 1)]
    created = OutboxEvent.objects.get().envelope["data"]
    assert (created["stock_quantity"], created["price"], created["low_stock"]) == (4, "2.50", False)
    admin_api.patch(f"/api/v1/products/{product.pk}/", {"price": "3.00"}, format="json")
    admin_api.patch(f"/api/v1/products/{product.pk}/", {"min_quantity": 99}, format="json")
    admin_api.delete(f"/api/v1/products/{product.pk}/")
    admin_api.delete(f"/api/v1/products/{product.pk}/")  # already inactive: nothing
    assert response.status_code == 201
    assert _events(product) == [
        ("products.product.created", 1),
        ("products.product.updated", 2),
        ("products.product.deleted", 3),
    ]


def test_publish_snapshots(capsys):
    ProductFactory()
    ProductFactory()
    call_command("publish_snapshots")
    assert "products.Product: 2 events recorded" in capsys.readouterr().out


@pytest.mark.parametrize(
    "body",
    [
        '{"sku":',
        "[]",
        '{"price": {"a": 1}}',
        '{"sku": "A", "name": "B", "price": "1e999", "max_quantity": 1}',
        '{"sku": "A", "name": "B", "price": "1", "max_quantity": 1e99}',
    ],
)
def test_bad_input_is_a_4xx_problem(admin_api, body):
    response = admin_api.post("/api/v1/products/", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"


def test_ten_megabytes_is_413(admin_api):
    body = json.dumps({"sku": "A", "name": "x" * (10 * 1024 * 1024)})
    assert (
        admin_api.post("/api/v1/products/", body, content_type="application/json").status_code
        == 413
    )


@pytest.fixture
def browser():
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-Admin-1")
    browser = Browser()
    browser.force_login(user)
    return browser


def test_admin_lists_low_stock_and_shows_recent_movements(browser, admin_api):
    low = ProductFactory(sku="LOW", stock_quantity=1, min_quantity=5)
    ProductFactory(sku="PLENTY", stock_quantity=50)
    admin_api.post(
        f"/api/v1/products/{low.pk}/stock-movements/",
        {"kind": "in", "quantity": 2, "reason": "Compra NF 77"},
        format="json",
    )
    page = browser.get("/admin/products/product/?low_stock=yes").content.decode()
    assert "LOW" in page and "PLENTY" not in page
    change = browser.get(f"/admin/products/product/{low.pk}/change/").content.decode()
    assert "Compra NF 77" in change
    assert 'name="stock_quantity"' not in change  # shown, never editable


def test_admin_moves_stock_through_the_service(browser):
    product = ProductFactory(stock_quantity=3, max_quantity=10)
    refused = browser.post(
        "/admin/products/stockmovement/add/",
        {"product": str(product.pk), "kind": "out", "quantity": "5", "reason": "venda"},
    )
    assert refused.status_code == 200
    assert "Only 3 units" in refused.content.decode()
    assert not StockMovement.objects.exists()
    ok = browser.post(
        "/admin/products/stockmovement/add/",
        {"product": str(product.pk), "kind": "out", "quantity": "2", "reason": "venda"},
    )
    assert ok.status_code == 302, ok.content.decode()[:2000]
    assert "was added successfully" in browser.get(ok["Location"]).content.decode()
    product.refresh_from_db()
    assert product.stock_quantity == 1
    movement = StockMovement.objects.get()
    assert (movement.delta, movement.created_by_username) == (-2, "root")
    assert _events(product)[-2:] == [  # 1 left: it crossed its minimum of 2
        ("products.product.updated", product.version),
        ("products.stock.low", product.version),
    ]
    assert browser.get(f"/admin/products/stockmovement/{movement.pk}/change/").status_code == 200


def test_with_users_api_sign_in_movements_need_their_own_codes(admin_signed_in):
    product = ProductFactory(sku="CAFE", stock_quantity=0)
    services.stock_movement_create(
        actor=Actor(id="u", username="u"),
        product_id=product.pk,
        kind="in",
        quantity=5,
        reason="Compra NF 12",
        reference="",
    )
    catalogue_only = admin_signed_in("products.view_product")
    page = catalogue_only.get(f"/admin/products/product/{product.pk}/change/")
    assert page.status_code == 200 and "Recent stock movements" not in page.content.decode()
    assert catalogue_only.get("/admin/products/stockmovement/").status_code == 403
    stock_clerk = admin_signed_in(
        "products.view_product", "products.view_stockmovement", username="bia"
    )
    page = stock_clerk.get(f"/admin/products/product/{product.pk}/change/").content.decode()
    assert "Recent stock movements" in page and "Compra NF 12" in page
    assert stock_clerk.get("/admin/products/stockmovement/add/").status_code == 403
    assert stock_clerk.get("/admin/products/product/add/").status_code == 403


def test_admin_products_are_written_and_deactivated_through_the_service(admin_signed_in):
    clerk = admin_signed_in("products.view_product", "products.add_product")
    form = {"sku": "cafe-500", "name": " Café 500 g ", "description": "", "price": "18.90"}
    form.update({"is_active": "on", "min_quantity": "9", "max_quantity": "5"})
    refused = clerk.post("/admin/products/product/add/", form)
    assert refused.status_code == 200 and not Product.objects.exists()
    added = clerk.post("/admin/products/product/add/", {**form, "max_quantity": "50"})
    assert added.status_code == 302
    product = Product.objects.get()
    assert (product.sku, product.name) == ("CAFE-500", "Café 500 g")
    assert _events(product) == [("products.product.created", 1)]
    action = {"action": "deactivate_selected", "_selected_action": [str(product.pk)]}
    clerk.post("/admin/products/product/", action)
    assert Product.objects.get().is_active  # needs products.delete_product
    assert clerk.get(f"/admin/products/product/{product.pk}/delete/").status_code == 403
    deleter = admin_signed_in("products.view_product", "products.delete_product", username="caio")
    deleter.post("/admin/products/product/", action)
    product.refresh_from_db()
    assert not product.is_active
    assert _events(product)[-1] == ("products.product.deleted", 2)


def test_movement_form_finds_products_by_autocomplete_and_rows_have_titles(admin_signed_in):
    product = ProductFactory(sku="ARROZ-5", name="Arroz 5 kg", stock_quantity=0)
    ProductFactory(sku="FEIJAO-1", name="Feijão 1 kg")
    clerk = admin_signed_in(
        "products.view_product", "products.view_stockmovement", "products.add_stockmovement"
    )
    form = clerk.get("/admin/products/stockmovement/add/").content.decode()
    assert "admin-autocomplete" in form and "ARROZ-5" not in form  # not a 1,000-row list
    found = clerk.get(
        "/admin/autocomplete/",
        {
            "app_label": "products",
            "model_name": "stockmovement",
            "field_name": "product",
            "term": "arroz",
        },
    ).json()
    assert [row["text"] for row in found["results"]] == ["ARROZ-5 — Arroz 5 kg"]
    answer = clerk.post(
        "/admin/products/stockmovement/add/",
        {"product": str(product.pk), "kind": "in", "quantity": "4", "reason": "Compra"},
        follow=True,
    ).content.decode()
    assert "In (received): 4 x ARROZ-5" in answer


@pytest.mark.default_language
@pytest.mark.parametrize(
    ("button", "message"),
    [
        ("_save", "A movimentação de estoque “{movement}” foi adicionada com sucesso."),
        (
            "_addanother",
            "A movimentação de estoque “{movement}” foi adicionada com sucesso. "
            "Você pode adicionar outra movimentação de estoque abaixo.",
        ),
    ],
)
def test_the_admin_says_a_movement_was_added_in_the_feminine(admin_signed_in, button, message):
    product = ProductFactory(sku="ARROZ-5", stock_quantity=0)
    clerk = admin_signed_in(
        "products.view_product", "products.view_stockmovement", "products.add_stockmovement"
    )
    form = {"product": str(product.pk), "kind": "in", "quantity": "4", "reason": "Compra"}
    page = clerk.post("/admin/products/stockmovement/add/", {**form, button: "1"}, follow=True)
    movement = StockMovement.objects.get()
    shown = [str(line) for line in page.context["messages"]]
    assert shown == [message.format(movement=movement)]


@pytest.mark.default_language
def test_a_product_is_still_added_in_the_masculine(admin_signed_in):
    clerk = admin_signed_in("products.view_product", "products.add_product")
    form = {
        "sku": "cafe",
        "name": "Café",
        "price": "8,99",
        "min_quantity": "0",
        "max_quantity": "5",
    }
    page = clerk.post("/admin/products/product/add/", form, follow=True)
    product = Product.objects.get()
    assert [str(line) for line in page.context["messages"]] == [
        f"O produto “{product}” foi adicionado com sucesso."
    ]
