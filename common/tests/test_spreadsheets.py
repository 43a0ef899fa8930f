"""common.admin.spreadsheets on its own: reading CSV and XLSX as people save them, the columns'
headers in either language, line numbers as the reader sees them, the upload limit, and
CSV-injection escaping (the admins' pages are tested in clients_api and products_api)."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from openpyxl import Workbook

from common.admin.spreadsheets import (
    Column,
    SpreadsheetError,
    escape_cell,
    is_upload_path,
    read_boolean,
    read_rows,
)

COLUMNS = (
    Column("name", "name"),
    Column("price", "price", "decimal"),
    Column("note", "note", required=False),
)


def _xlsx(*rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_csv_reads_with_the_delimiter_of_its_header(delimiter):
    content = delimiter.join(["Name ", " PRICE"]) + "\nArroz" + delimiter + "8\n"
    [row] = read_rows(content.encode(), COLUMNS)
    assert row.line == 2 and row.values == {"name": "Arroz", "price": "8"}


def test_lines_are_the_files_own_even_past_blank_rows():
    content = "name;price\n\nArroz;8\n;\nFeijão;9\n".encode()
    assert [row.line for row in read_rows(content, COLUMNS)] == [3, 5]


def test_a_windows_1252_csv_reads_as_excel_wrote_it():
    content = "name;price\nFeijão;9\n".encode("cp1252")
    assert read_rows(content, COLUMNS)[0].values["name"] == "Feijão"


def test_xlsx_cells_read_as_typed_text_formulas_included():
    content = _xlsx(["name", "price"], ["=1+1", 1.234], ["Sal", 3])
    with translation.override("pt-br"):
        first, second = read_rows(content, COLUMNS)
    assert first.values == {"name": "=1+1", "price": "1,234"}  # not a thousand
    assert second.values["price"] == "3"
    assert read_rows(content, COLUMNS)[0].values["price"] == "1.234"


def test_missing_and_unknown_columns_are_named_with_the_expected_ones():
    with pytest.raises(SpreadsheetError) as refused:
        read_rows(b"nome;valor\nA;1\n", COLUMNS)
    assert str(refused.value) == (
        "Missing columns: name, price. Unknown columns: nome, valor. "
        "The first row must name the columns: name, price, note."
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"  \n", "The file is empty."),
        (b"name;price\n", "The file has its header but no rows."),
        (b"GIF89a\x00\x01", "This file is not a spreadsheet"),
        (b"PK\x03\x04broken", "This file is not a spreadsheet"),
        (b"\xff\xfe\x81\x8d\x90", "This file is not a spreadsheet"),
    ],
)
def test_bad_files_say_why(content, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_rows(content, COLUMNS)


def test_a_file_over_the_limit_is_refused_before_it_is_read(settings):
    settings.SPREADSHEET_MAX_UPLOAD_BYTES = 1024 * 1024
    with pytest.raises(SpreadsheetError, match="the limit is 1 MB"):
        read_rows(b"name;price\n" + b"a;1\n" * 300_000, COLUMNS)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_run_as_a_formula_is_escaped(start):
    assert escape_cell(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"


def test_other_cells_are_left_as_they_are():
    assert escape_cell("Arroz = bom") == "Arroz = bom"


@pytest.mark.parametrize(
    ("typed", "read"),
    [("sim", True), ("Não", False), ("YES", True), ("0", False), ("", True)],
)
def test_booleans_read_in_either_language(typed, read):
    assert read_boolean(typed, default=True) is read


def test_anything_else_is_not_a_boolean():
    with pytest.raises(ValidationError):
        read_boolean("talvez", default=True)


def test_the_admins_import_pages_have_a_limit_of_their_own(client, settings):
    assert is_upload_path("/admin/clients/client/import/")
    assert not is_upload_path("/api/v1/clients/import/")
    settings.MAX_REQUEST_BODY_BYTES = 1024
    settings.SPREADSHEET_MAX_UPLOAD_BYTES = 1024 * 1024
    body = b"x" * 4096
    assert client.post("/api/v1/anything/", body, content_type="text/csv").status_code == 413
    upload = client.post("/admin/clients/client/import/", body, content_type="text/csv")
    assert upload.status_code != 413
    too_large = client.post(
        "/admin/clients/client/import/",
        b"x" * (2 * 1024 * 1024),
        content_type="text/csv",
        HTTP_ACCEPT="text/html",
    )
    assert too_large.status_code == 413
    assert "The file has 2.0 MB; the limit is 1 MB." in too_large.content.decode()


def test_a_background_job_is_queued_on_the_services_own_queue(settings):
    from kombu import Connection

    from common.admin import spreadsheets

    settings.CELERY_BROKER_URL = "memory://"
    with Connection("memory://") as connection:
        queue = connection.SimpleQueue(settings.EVENTS_CONSUMER_QUEUE)
        spreadsheets._send("clients.ClientImport", "42")
        message = queue.get(timeout=2)
        assert message.headers["task"] == "spreadsheets.run_import"
        assert message.payload[0] == ["clients.ClientImport", "42"]
        message.ack()
        queue.close()
