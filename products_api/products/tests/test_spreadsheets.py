"""Products in and out of spreadsheets (issue #38): the admin's import (preview with the
API's messages, prices typed 8,99 or 8.99, initial stock as a movement, confirmation
through the services, re-import publishing nothing, permissions, large files in the
background) and the exports of products and stock movements."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from common.admin import spreadsheets
from common.events.models import OutboxEvent
from products import services
from products.models import Product, ProductImport, StockMovement
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PT = {"HTTP_ACCEPT_LANGUAGE": "pt-br"}
IMPORT = "/admin/products/product/import/"
HEADER = "SKU;nome;preço;quantidade em estoque;quantidade mínima;quantidade máxima"


def _csv(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("produtos.csv", "\n".join(lines).encode(), "text/csv")


def _job() -> ProductImport:
    return ProductImport.objects.order_by("created_at").last()


@pytest.fixture
def manager(admin_signed_in):
    return admin_signed_in(
        "products.view_product",
        "products.add_product",
        "products.change_product",
        username="estoquista",
    )


@pytest.fixture
def known():
    product = ProductFactory(sku="CAFE-1", name="Café", price=Decimal("8.99"), max_quantity=50)
    OutboxEvent.objects.all().delete()  # the factory's
    return product


LINES = (
    HEADER,
    "arroz-5;Arroz 5 kg;8,99;10;2;100",  # comma: created, SKU upper-cased
    "FEIJAO-1;Feijão;12.50;0;0;20",  # dot: created
    "CAFE-1;Café Forte;8,99;999;2;100",  # known: name and max change, stock not read
    "SAL-1;Sal;oito;1;0;10",  # not a price
    "ACUCAR-1;Açúcar;3,00;1;10;5",  # min above max
    "OLEO-1;Óleo;5,00;50;0;10",  # stock above max
)


def test_the_preview_counts_and_gives_the_apis_messages_in_portuguese(manager, known):
    response = manager.post(IMPORT, {"file": _csv(*LINES)}, **PT)
    assert response.status_code == 302
    job = _job()
    assert (job.status, job.total, job.created, job.updated, job.refused) == (
        "previewed",
        6,
        2,
        1,
        3,
    )
    reasons = {refusal["line"]: refusal["reason"] for refusal in job.refusals}
    assert reasons[5].startswith("preço: Digite um número como 1.234,56 ou 8,99.")
    assert "quantidade mínima: O mínimo (10) não pode ser maior que o máximo (5)." in reasons[6]
    assert "quantidade máxima:" in reasons[7] and "(50)" in reasons[7]
    assert Product.objects.count() == 1 and not OutboxEvent.objects.exists()
    assert not StockMovement.objects.exists()


def test_confirming_writes_through_the_services_and_a_reimport_publishes_nothing(manager, known):
    manager.post(IMPORT, {"file": _csv(*LINES)}, **PT)
    manager.post(f"{IMPORT}{_job().pk}/", **PT)
    job = _job()
    assert (job.status, job.created, job.updated, job.refused) == ("imported", 2, 1, 3)
    rice = Product.objects.get(sku="ARROZ-5")
    assert (rice.price, rice.stock_quantity, rice.max_quantity) == (Decimal("8.99"), 10, 100)
    movement = StockMovement.objects.get(product=rice)
    assert (movement.quantity, movement.reason_code) == (10, "initial_stock")
    known.refresh_from_db()
    assert (known.name, known.max_quantity, known.stock_quantity) == ("Café Forte", 100, 0)
    # One event per created or changed row.
    assert sorted(OutboxEvent.objects.values_list("type", flat=True)) == [
        "products.product.created",
        "products.product.created",
        "products.product.updated",
    ]

    manager.post(IMPORT, {"file": _csv(*LINES)}, **PT)
    again = _job()
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 3, 3)
    manager.post(f"{IMPORT}{again.pk}/", **PT)
    assert OutboxEvent.objects.count() == 3


def test_each_row_needs_the_code_of_what_it_does(admin_signed_in, known):
    editor = admin_signed_in("products.view_product", "products.change_product", username="ed")
    editor.post(IMPORT, {"file": _csv(*LINES[:4])}, **PT)
    job = _job()
    assert (job.created, job.updated, job.refused) == (0, 1, 2)
    assert all("products.add_product" in refusal["reason"] for refusal in job.refusals)
    viewer = admin_signed_in("products.view_product", username="vi")
    assert viewer.get(IMPORT).status_code == 403
    assert viewer.post(IMPORT, {"file": _csv(*LINES)}).status_code == 403


def test_wrong_columns_name_the_expected_ones(manager):
    response = manager.post(IMPORT, {"file": _csv("codigo;nome", "A;B")}, **PT)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Colunas que faltam: SKU, preço, quantidade máxima." in page
    assert "Colunas desconhecidas: codigo." in page


def test_an_xlsx_with_numeric_cells_and_a_formula(manager):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["SKU", "Name", "Price", "Maximum quantity", "Stock quantity"])
    sheet.append(["X-1", '=HYPERLINK("http://x")', 1.5, 10, 3])
    sheet.append(["X-2", "Mil", 1234.5, 10, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    manager.post(IMPORT, {"file": SimpleUploadedFile("p.xlsx", buffer.getvalue())}, **PT)
    job = _job()
    assert (job.created, job.refused) == (2, 0), job.refusals
    manager.post(f"{IMPORT}{job.pk}/", **PT)
    first = Product.objects.get(sku="X-1")
    assert (first.name, first.price, first.stock_quantity) == (
        '=HYPERLINK("http://x")',
        Decimal("1.50"),
        3,
    )
    assert Product.objects.get(sku="X-2").price == Decimal("1234.50")


def test_the_export_is_typed_in_portuguese_and_reimports_unchanged(manager, known):
    ProductFactory(sku="OFF-1", is_active=False)
    response = manager.get("/admin/products/product/export/?is_active__exact=1&format=xlsx", **PT)
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("SKU", "nome", "descrição", "preço")
    assert len(rows) == 2
    sku, _name, _description, price, active, stock, _minimum, maximum, created = rows[1]
    assert (sku, price, active, stock, maximum) == ("CAFE-1", 8.99, "Sim", 0, 50)
    assert isinstance(price, float) and isinstance(stock, int)
    assert isinstance(created, datetime.datetime)

    csv_body = b"".join(
        manager.get("/admin/products/product/export/?format=csv", **PT).streaming_content
    )
    _header, first = list(csv.reader(io.StringIO(csv_body.decode("utf-8-sig")), delimiter=";"))[:2]
    assert first[3] == "8,99"
    for content, name in ((response.content, "p.xlsx"), (csv_body, "p.csv")):
        manager.post(IMPORT, {"file": SimpleUploadedFile(name, content)}, **PT)
        job = _job()
        assert job.unchanged == job.total and job.refused == 0


def test_the_movements_export_follows_the_filters(admin_signed_in, manager, known):
    services.stock_movement_create(
        actor=None, product_id=known.pk, kind="in", quantity=5, reason="=compra"
    )
    services.stock_movement_create(
        actor=None, product_id=known.pk, kind="out", quantity=2, reason="venda"
    )
    url = "/admin/products/stockmovement/export/?kind__exact=in&format=xlsx"
    assert manager.get(url).status_code == 403  # the ledger's own code is needed
    manager = admin_signed_in("products.view_stockmovement", username="contadora")
    rows = list(
        load_workbook(io.BytesIO(manager.get(url, **PT).content)).active.iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("quando", "SKU", "produto", "tipo")
    assert len(rows) == 2
    when, sku, _name, kind, quantity, delta, after, reason, _ref, _by = rows[1]
    assert isinstance(when, datetime.datetime)
    assert (sku, kind, quantity, delta, after) == ("CAFE-1", "Entrada (recebido)", 5, 5, 5)
    assert reason == "'=compra"  # escaped: a spreadsheet shows it, never runs it


def test_the_export_reads_the_list_in_a_budget_of_queries(manager, django_assert_max_num_queries):
    ProductFactory.create_batch(30)
    # The session and the user (sign-in), the list's count and its rows: not one per row.
    with django_assert_max_num_queries(8):
        response = manager.get("/admin/products/product/export/?format=csv")
        body = b"".join(response.streaming_content)
    assert body.count(b"\n") == 31


def test_a_large_file_is_previewed_and_imported_in_the_background(
    manager, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SPREADSHEET_BACKGROUND_ROWS = 5
    sent = []
    monkeypatch.setattr(spreadsheets, "_send", lambda label, job_id: sent.append((label, job_id)))
    monkeypatch.setattr(spreadsheets, "PROGRESS_EVERY", 4)
    lines = [HEADER] + [f"P-{n};Produto {n};1,00;1;0;10" for n in range(10)]
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(IMPORT, {"file": _csv(*lines)}, **PT)
    job = _job()
    assert sent == [("products.ProductImport", str(job.pk))] and job.status == "previewing"
    assert "Verificando as linhas" in manager.get(response["Location"], **PT).content.decode()
    seen = []
    real_count = spreadsheets._count

    def count_and_look(job, row, outcome, columns):
        real_count(job, row, outcome, columns)
        if job.processed == 8:  # what a reload shows mid-way: the bar at 8 of 10
            seen.append(manager.get(response["Location"], **PT).content.decode())

    monkeypatch.setattr(spreadsheets, "_count", count_and_look)
    spreadsheets.run_import_task.run(*sent[0])
    assert '<progress id="import-progress" max="10" value="8">80%</progress>' in seen[0]
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(response["Location"], **PT)
    spreadsheets.run_import_task.run(*sent[1])
    job.refresh_from_db()
    assert (job.status, job.processed, job.created) == ("imported", 10, 10)
    assert Product.objects.count() == 10 and OutboxEvent.objects.count() == 10
