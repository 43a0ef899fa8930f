"""The products admin's "Sugestão de compra" page and its CSV for a supplier (issue #37)."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PAGE = "/admin/products/reordersuggestion/"
CSV = f"{PAGE}csv/"
PT = {"HTTP_ACCEPT_LANGUAGE": "pt-br"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def shelf():
    ProductFactory(
        sku="ACU-1",
        name="Açúcar cristal",
        stock_quantity=1,
        min_quantity=5,
        max_quantity=40,
        price=Decimal("4.50"),
    )
    ProductFactory(
        sku="CAF-1",
        name="Café torrado",
        stock_quantity=0,
        min_quantity=5,
        max_quantity=20,
        price=Decimal("1234.56"),
    )
    # Above its minimum on the shelf, but open orders hold most of it.
    ProductFactory(
        sku="PAO-1",
        name="Pão de forma",
        stock_quantity=9,
        reserved=8,
        min_quantity=2,
        max_quantity=10,
        price=Decimal("9.00"),
    )
    ProductFactory(sku="SAL-1", name="Sal", stock_quantity=50, min_quantity=5)  # plenty


@pytest.fixture
def buyer(admin_signed_in):
    return admin_signed_in("products.view_product", username="bia")


def _csv_rows(response):
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    delimiter = ";" if response.wsgi_request.LANGUAGE_CODE == "pt-br" else ","
    return list(csv.reader(io.StringIO(body[1:]), delimiter=delimiter))


def test_the_page_lists_what_to_buy_in_portuguese_largest_suggestion_first(buyer, shelf):
    page = buyer.get(PAGE, **PT)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Sugestão de compra</h1>" in html
    assert "3 produtos a comprar" in html
    rows = [row.sku for row in page.context["cl"].result_list]
    assert rows == ["ACU-1", "CAF-1", "PAO-1"]  # suggested 39, 20, 9
    # The headers say so: the suggestion first (descending), then the name.
    assert 'class="sortable column-suggested_display sorted descending"' in html
    assert 'class="sortable column-name sorted ascending"' in html
    assert "R$\u00a01.234,56" in html and "Exportar CSV" in html
    assert "Por estoque baixo" in html and "Por preço" in html and 'name="min_price"' in html


def test_the_products_admin_links_to_it(buyer):
    for path in ("/admin/", "/admin/products/"):
        html = buyer.get(path, **PT).content.decode()
        assert f'href="{PAGE}"' in html and "Sugestão de compra" in html


@pytest.mark.parametrize(
    ("query", "skus"),
    [
        ({"q": "acucar"}, ["ACU-1"]),
        ({"q": "caf-1"}, ["CAF-1"]),
        ({"low_stock": "yes"}, ["ACU-1", "CAF-1"]),
        ({"low_stock": "no"}, ["PAO-1"]),
        ({"min_price": "4,50", "max_price": "9"}, ["ACU-1", "PAO-1"]),
        ({"min_price": "1.234,56"}, ["CAF-1"]),
        # Sorted by a column (0 is the SKU): the stock, then the price, then the suggestion.
        ({"o": "2"}, ["CAF-1", "ACU-1", "PAO-1"]),
        ({"o": "-8"}, ["CAF-1", "PAO-1", "ACU-1"]),
        ({"o": "7"}, ["PAO-1", "CAF-1", "ACU-1"]),
    ],
)
def test_the_filters_and_the_csv_select_the_same_rows(buyer, shelf, query, skus):
    page = buyer.get(PAGE, query, **PT)
    assert [row.sku for row in page.context["cl"].result_list] == skus
    exported = buyer.get(CSV, query, **PT)
    assert [row[0] for row in _csv_rows(exported)[1:]] == skus


def test_the_price_filter_keeps_the_other_parameters(buyer, shelf):
    html = buyer.get(PAGE, {"q": "cafe", "low_stock": "yes"}, **PT).content.decode()
    assert '<input type="hidden" name="q" value="cafe">' in html
    assert '<input type="hidden" name="low_stock" value="yes">' in html
    assert '<input type="hidden" name="o" value="-7.1">' in html  # the default order
    assert f'href="{CSV}?q=cafe&amp;low_stock=yes&amp;o=-7.1"' in html


def test_a_price_that_cannot_be_read_is_the_admins_invalid_page(buyer, shelf):
    for path in (PAGE, CSV):
        response = buyer.get(path, {"min_price": "muito"}, **PT)
        assert response.status_code == 302 and response["Location"] == f"{PAGE}?e=1"


def test_the_csv_in_portuguese_reads_in_a_brazilian_spreadsheet(buyer, shelf):
    response = buyer.get(CSV, **PT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="sugestao-de-compra-')
    rows = _csv_rows(response)
    assert rows[0] == [
        "SKU",
        "Nome",
        "Quantidade em estoque",
        "Reservado",
        "Disponível",
        "Quantidade mínima",
        "Quantidade máxima",
        "Quantidade sugerida",
        "Preço unitário",
    ]
    assert rows[1:] == [
        ["ACU-1", "Açúcar cristal", "1", "0", "1", "5", "40", "39", "4,50"],
        ["CAF-1", "Café torrado", "0", "0", "0", "5", "20", "20", "1234,56"],
        ["PAO-1", "Pão de forma", "9", "8", "1", "2", "10", "9", "9,00"],
    ]


def test_the_csv_in_english_uses_commas_and_decimal_points(buyer, shelf):
    response = buyer.get(CSV, {"q": "cafe"}, **EN)
    assert response["Content-Disposition"].startswith('attachment; filename="purchase-suggestion-')
    rows = _csv_rows(response)
    assert rows[0][:2] == ["SKU", "Name"] and rows[0][-2:] == ["Suggested quantity", "Unit price"]
    assert rows[1:] == [["CAF-1", "Café torrado", "0", "0", "0", "5", "20", "20", "1234.56"]]


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(buyer):
    ProductFactory(sku="X-1", name='=HYPERLINK("http://evil","clique")', stock_quantity=0)
    [_, row] = _csv_rows(buyer.get(CSV, **PT))
    assert row[1] == '\'=HYPERLINK("http://evil","clique")'


def test_only_who_may_see_products_sees_it_and_nothing_is_written_there(admin_signed_in, shelf):
    clerk = admin_signed_in("products.view_stockmovement", username="caio")
    assert clerk.get(PAGE).status_code == 403
    assert clerk.get(CSV).status_code == 403
    assert f'href="{PAGE}"' not in clerk.get("/admin/").content.decode()
    buyer = admin_signed_in("products.view_product", "products.change_product", username="bia")
    assert buyer.get(f"{PAGE}add/").status_code == 403
    product = ProductFactory(stock_quantity=0)
    assert buyer.get(f"{PAGE}{product.pk}/change/").status_code == 403
    assert 'id="export-csv"' in buyer.get(PAGE).content.decode()


def test_signed_out_goes_to_the_sign_in_page(client):
    for path in (PAGE, CSV):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_page_costs_the_same_queries_whatever_its_length(buyer):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert buyer.get(PAGE).status_code == 200
        return len(captured)

    ProductFactory(stock_quantity=0)
    few = queries()
    for _ in range(30):
        ProductFactory(stock_quantity=0)
    assert queries() == few
