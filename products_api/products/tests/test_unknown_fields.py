"""A write with a field the endpoint does not take is refused naming it (DESIGN §4), on
every write endpoint; a GET body sent back and the browsable API's forms still pass."""

import pytest

from common.development.testing import HTML, unknown_field_answers
from products.models import Product
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def test_every_write_endpoint_names_an_unknown_field(admin_api):
    answers = unknown_field_answers(admin_api)
    assert f"POST {PRODUCTS}" in answers  # the walk sees the endpoints
    assert answers == dict.fromkeys(answers, (400, ["Unknown field."]))


def test_a_patch_with_a_misspelt_field_changes_nothing_and_says_so(admin_api):
    product = ProductFactory(name="Café")
    response = admin_api.patch(f"{PRODUCTS}{product.pk}/", {"nome": "Chá"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert (body["status"], body["errors"]) == (400, {"nome": ["Unknown field."]})
    product.refresh_from_db()
    assert (product.name, product.version) == ("Café", 1)


def test_unknown_fields_come_with_the_other_fields_errors(admin_api):
    response = admin_api.post(PRODUCTS, {"sku": "A1", "nome": "X", "preco": "1"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["nome"] == errors["preco"] == ["Unknown field."]
    assert "name" in errors and "price" in errors
    assert not Product.objects.exists()


@pytest.mark.default_language
def test_the_message_is_in_portuguese_by_default(admin_api):
    response = admin_api.post(PRODUCTS, {"nome": "X"}, format="json")
    assert response.json()["errors"]["nome"] == ["Campo desconhecido."]


READ_ONLY = ["Read-only field: send it unchanged or leave it out."]


def test_a_get_body_put_back_is_accepted_and_its_read_only_fields_not_applied(admin_api):
    product = ProductFactory(name="Café", stock_quantity=7)
    path = f"{PRODUCTS}{product.pk}/"
    body = admin_api.get(path).json()
    body.update(name="Café torrado", price=19.9)  # the GET shows "19.90"
    response = admin_api.put(path, body, format="json")
    assert response.status_code == 200, response.json()
    product.refresh_from_db()
    assert (product.name, product.stock_quantity, product.version) == ("Café torrado", 7, 2)
    patched = admin_api.patch(path, {"id": body["id"], "name": "Chá"}, format="json")
    assert patched.status_code == 200, patched.json()


@pytest.mark.parametrize(
    "changed",
    [{"stock_quantity": 999}, {"low_stock": False}, {"id": "0" * 32}],
    ids=lambda changed: next(iter(changed)),
)
def test_a_read_only_field_sent_changed_is_refused_by_name_and_nothing_changes(admin_api, changed):
    product = ProductFactory(name="Café", stock_quantity=1)  # low_stock: 1 <= 2
    path = f"{PRODUCTS}{product.pk}/"
    body = {**admin_api.get(path).json(), "name": "Chá"}
    response = admin_api.patch(path, {**body, **changed}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == dict.fromkeys(changed, READ_ONLY)
    product.refresh_from_db()
    assert (product.name, product.stock_quantity, product.version) == ("Café", 1, 1)


def test_a_stale_version_in_the_body_is_ignored_and_if_match_still_decides(admin_api):
    product = ProductFactory(name="Café")
    path = f"{PRODUCTS}{product.pk}/"
    got = admin_api.get(path)
    body = {**got.json(), "name": "Chá", "version": 99, "updated_at": "2000-01-01T00:00:00Z"}
    response = admin_api.put(path, body, format="json")
    assert (response.status_code, response.json()["version"]) == (200, 2)
    stale = admin_api.put(path, body, format="json", HTTP_IF_MATCH=got["ETag"])
    assert stale.status_code == 412
    product.refresh_from_db()
    assert (product.name, product.version) == ("Chá", 2)


@pytest.mark.default_language
def test_the_read_only_message_is_in_portuguese_by_default(admin_api):
    product = ProductFactory()
    response = admin_api.patch(f"{PRODUCTS}{product.pk}/", {"stock_quantity": 999}, format="json")
    assert response.json()["errors"]["stock_quantity"] == [
        "Campo somente leitura: envie-o sem alteração ou omita-o."
    ]


def test_read_only_fields_are_not_taken_where_nothing_is_read_back(admin_api):
    response = admin_api.post(PRODUCTS, {"id": "x", "version": 1}, format="json")
    assert response.json()["errors"]["id"] == response.json()["errors"]["version"]


def test_the_html_form_with_its_csrf_token_creates_a_product(admin_signed_in):
    browser = admin_signed_in("products.view_product", "products.add_product")
    browser.handler.enforce_csrf_checks = True
    form = browser.get(PRODUCTS, **HTML)
    token = form.context["csrf_token"]
    fields = {"sku": "caf-1", "name": "Café", "price": "19.90", "max_quantity": "50"}
    created = browser.post(PRODUCTS, {**fields, "csrfmiddlewaretoken": str(token)}, **HTML)
    assert created.status_code == 201, created.content.decode()[-2000:]
    refused = browser.post(PRODUCTS, {**fields, "nome": "X", "csrfmiddlewaretoken": str(token)})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"nome": ["Unknown field."]}
