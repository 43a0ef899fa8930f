"""Clients in and out of spreadsheets (issue #38): the admin's import (preview, refusals in
Portuguese, confirmation through the services, re-import changing nothing, bad files,
large files in the background) and its export (CSV and XLSX, filtered, pt-BR)."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from clients.models import Client, ClientImport
from clients.tests.factories import AddressFactory, ClientFactory, cnpj, cpf
from common.admin import spreadsheets
from common.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

PT = {"HTTP_ACCEPT_LANGUAGE": "pt-br"}
IMPORT = "/admin/clients/client/import/"
HEADER = "nome;CPF/CNPJ;e-mail;telefone;logradouro;número;bairro;cidade;estado;CEP"


def _csv(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("clientes.csv", "\n".join(lines).encode(), "text/csv")


def _upload(browser, upload, **extra):
    return browser.post(IMPORT, {"file": upload}, **PT, **extra)


def _job() -> ClientImport:
    return ClientImport.objects.get()


@pytest.fixture
def manager(admin_signed_in):
    return admin_signed_in(
        "clients.view_client", "clients.add_client", "clients.change_client", username="gerente"
    )


GOOD = f"Ana Souza;{cpf(1)};ana@example.com;(84) 99999-0000;Rua A;10;Centro;Natal;rn;59010-000"
BAD_CPF = "Bruno;111.111.111-12;;;;;;;;"
BAD_CEP_UF = f"Carla;{cpf(2)};;;Rua B;1;Centro;Natal;XX;123"


def test_the_preview_counts_and_explains_in_portuguese_and_writes_nothing(manager):
    known = ClientFactory(document=cpf(3), name="Antigo")
    OutboxEvent.objects.all().delete()  # the factory's
    updated = f"Nome Novo;{known.formatted_document};;;;;;;;"
    response = _upload(manager, _csv(HEADER, GOOD, BAD_CPF, BAD_CEP_UF, updated))
    job = _job()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/clients/client/import/{job.pk}/"
    assert (job.status, job.total, job.created, job.updated, job.refused) == (
        "previewed",
        4,
        1,
        1,
        2,
    )
    by_line = {refusal["line"]: refusal["reason"] for refusal in job.refusals}
    assert set(by_line) == {3, 4}
    assert "CPF/CNPJ: Este CPF não é válido" in by_line[3]
    assert "CEP" in by_line[4] and "estado" in by_line[4]  # both wrong, both named
    page = manager.get(response["Location"], **PT).content.decode()
    assert "4 linhas: 1 a criar, 1 a atualizar, 0 sem mudança, 2 recusadas." in page
    assert "Este CPF não é válido" in page and "Confirmar a importação" in page
    assert Client.objects.count() == 1 and Client.objects.get().name == "Antigo"
    assert not OutboxEvent.objects.exists()


def test_confirming_writes_through_the_services_and_a_reimport_changes_nothing(manager):
    known = ClientFactory(document=cpf(3), name="Antigo")
    OutboxEvent.objects.all().delete()  # the factory's
    lines = (HEADER, GOOD, BAD_CPF, f"Nome Novo;{known.document};;;;;;;;")
    _upload(manager, _csv(*lines))
    job = _job()
    response = manager.post(f"{IMPORT}{job.pk}/", **PT)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created, job.updated, job.unchanged, job.refused) == (
        "imported",
        1,
        1,
        0,
        1,
    )
    ana = Client.objects.get(document=cpf(1))
    assert (ana.phone, ana.email) == ("84999990000", "ana@example.com")
    address = ana.addresses.get()
    assert (address.state, address.postal_code, address.is_default) == ("RN", "59010000", True)
    assert Client.objects.get(pk=known.pk).name == "Nome Novo"
    events = list(OutboxEvent.objects.order_by("id").values_list("aggregate_id", "type"))
    # The new client: created, then its address (one change of the client, services'
    # contract); the known one: one update.
    assert events == [
        (str(ana.pk), "clients.client.created"),
        (str(ana.pk), "clients.client.updated"),
        (str(known.pk), "clients.client.updated"),
    ]
    # Confirming again starts nothing.
    manager.post(f"{IMPORT}{job.pk}/", **PT)
    assert OutboxEvent.objects.count() == 3

    _upload(manager, _csv(*lines))
    again = ClientImport.objects.exclude(pk=job.pk).get()
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 2, 1)
    manager.post(f"{IMPORT}{again.pk}/", **PT)
    again.refresh_from_db()
    assert (again.status, again.unchanged) == ("imported", 2)
    assert OutboxEvent.objects.count() == 3  # nothing changed, nothing published


def test_the_refused_rows_download_as_csv(manager):
    _upload(manager, _csv(HEADER, GOOD, BAD_CPF))
    job = _job()
    response = manager.get(f"{IMPORT}{job.pk}/refused.csv", **PT)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["linha", "motivo"]
    assert rows[1][0] == "3" and "Este CPF não é válido" in rows[1][1]


def test_a_user_without_the_codes_may_not_import(admin_signed_in):
    viewer = admin_signed_in("clients.view_client", username="leitor")
    assert viewer.get(IMPORT, **PT).status_code == 403
    assert _upload(viewer, _csv(HEADER, GOOD)).status_code == 403
    assert (
        'href="/admin/clients/client/import/"'
        not in viewer.get("/admin/clients/client/").content.decode()
    )
    assert not ClientImport.objects.exists()


def test_each_row_needs_the_code_of_what_it_does(admin_signed_in):
    ClientFactory(document=cpf(3), name="Antigo")
    adder = admin_signed_in("clients.view_client", "clients.add_client", username="cadastro")
    _upload(adder, _csv(HEADER, GOOD, f"Outro Nome;{cpf(3)};;;;;;;;"))
    job = _job()
    assert (job.created, job.updated, job.refused) == (1, 0, 1)
    assert "clients.change_client" in job.refusals[0]["reason"]
    # Someone else's file is not theirs to see or confirm.
    other = admin_signed_in(
        "clients.view_client", "clients.add_client", "clients.change_client", username="outra"
    )
    assert other.get(f"{IMPORT}{job.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "vazio.csv", "O arquivo está vazio."),
        (b"\n\n;;\n", "branco.csv", "O arquivo está vazio."),
        (HEADER.encode() + b"\n", "cabecalho.csv", "O arquivo tem o cabeçalho, mas nenhuma linha."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "foto.csv", "não é uma planilha"),
        (b"PK\x03\x04not really a zip", "falso.xlsx", "não é uma planilha"),
        (
            b"nome;documento_errado;idade\nAna;1;2\n",
            "colunas.csv",
            "Colunas que faltam: CPF/CNPJ. Colunas desconhecidas: documento_errado, idade. "
            "A primeira linha deve nomear as colunas: tipo, nome, CPF/CNPJ",
        ),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_no_job(manager, content, name, message):
    response = _upload(manager, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ClientImport.objects.exists()


def test_no_file_is_asked_for_again(manager):
    response = manager.post(IMPORT, {}, **PT)
    assert response.status_code == 400
    assert "Escolha um arquivo CSV ou XLSX." in response.content.decode()


def test_a_50_mb_upload_is_refused_with_a_clear_page(manager):
    big = SimpleUploadedFile("grande.csv", HEADER.encode() + b"\n" + b"x" * (50 * 1024 * 1024))
    # Refused before anything reads the body (common.api.middleware), on a page for people.
    response = _upload(manager, big, HTTP_ACCEPT="text/html")
    assert response.status_code == 413
    assert "o limite é de 10 MB" in response.content.decode()
    assert "text/html" in response["Content-Type"]
    assert not ClientImport.objects.exists()


def test_formulas_are_stored_as_text_and_exported_escaped(manager):
    formula = "=cmd|' /C calc'!A0"
    _upload(manager, _csv(HEADER, f"{formula};{cpf(5)};;;;;;;;"))
    manager.post(f"{IMPORT}{_job().pk}/", **PT)
    assert Client.objects.get().name == formula
    response = manager.get("/admin/clients/client/export/?format=csv", **PT)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text
    xlsx = load_workbook(
        io.BytesIO(manager.get("/admin/clients/client/export/?format=xlsx").content)
    )
    assert xlsx.active["B2"].value == "'" + formula
    assert xlsx.active["B2"].data_type == "s"  # text, not a formula


def test_an_xlsx_file_imports_like_a_csv(manager):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nome", "CPF/CNPJ", "Tipo", "Ativo"])
    sheet.append(["Empresa X", cnpj(42), "Empresa (CNPJ)", "não"])
    sheet.append(["Sem documento", None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("clientes.xlsx", buffer.getvalue())
    _upload(manager, upload)
    job = _job()
    assert (job.created, job.refused) == (1, 1)
    assert job.refusals[0]["line"] == 3 and "CPF/CNPJ" in job.refusals[0]["reason"]
    manager.post(f"{IMPORT}{job.pk}/", **PT)
    company = Client.objects.get()
    assert (company.kind, company.is_active) == ("company", False)
    assert list(OutboxEvent.objects.values_list("type", flat=True)) == [
        "clients.client.created",
        "clients.client.deleted",
    ]


def test_export_is_the_filtered_list_in_portuguese_and_reimports_unchanged(manager):
    client = ClientFactory(name="Padaria Pão", kind="company", document=cnpj(7))
    AddressFactory(client=client, is_default=True, state="BA", postal_code="40000000")
    ClientFactory(name="Outro", is_active=False)
    response = manager.get("/admin/clients/client/export/?is_active__exact=1&format=xlsx", **PT)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("tipo", "nome", "CPF/CNPJ")
    assert len(rows) == 2  # the inactive one is filtered out
    assert rows[1][0] == "Empresa (CNPJ)" and rows[1][5] == "Sim"
    assert rows[1][13] == "40000-000"
    assert isinstance(rows[1][14], datetime.datetime)  # a date, not text

    csv_response = manager.get("/admin/clients/client/export/?format=csv", **PT)
    assert csv_response["Content-Type"].startswith("text/csv")
    exported = b"".join(csv_response.streaming_content)
    OutboxEvent.objects.all().delete()
    _upload(manager, SimpleUploadedFile("exportado.csv", exported))
    job = _job()
    assert (job.created, job.updated, job.unchanged, job.refused) == (0, 0, 2, 0)
    manager.post(f"{IMPORT}{job.pk}/", **PT)
    assert not OutboxEvent.objects.exists()

    xlsx = SimpleUploadedFile("exportado.xlsx", response.content)
    _upload(manager, xlsx)
    assert ClientImport.objects.order_by("created_at").last().unchanged == 1


def test_the_list_links_to_import_and_export_with_its_filters(manager):
    page = manager.get("/admin/clients/client/?kind__exact=company", **PT).content.decode()
    assert 'href="/admin/clients/client/import/"' in page
    assert "/admin/clients/client/export/?kind__exact=company&amp;format=xlsx" in page
    assert "Exportar XLSX" in page


def test_export_needs_the_view_code(admin_signed_in):
    outsider = admin_signed_in("products.view_product", username="fora")
    assert outsider.get("/admin/clients/client/export/?format=csv").status_code == 403


def test_a_large_file_runs_in_the_background_with_its_progress_on_the_page(
    manager, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SPREADSHEET_BACKGROUND_ROWS = 2
    sent = []
    monkeypatch.setattr(spreadsheets, "_send", lambda label, job_id: sent.append((label, job_id)))
    lines = [HEADER] + [f"Cliente {n};{cpf(100 + n)};;;;;;;;" for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(manager, _csv(*lines))
    job = _job()
    assert sent == [("clients.ClientImport", str(job.pk))]
    assert job.status == "previewing"
    page = manager.get(response["Location"], **PT).content.decode()
    assert '<progress id="import-progress" max="0" value="0">' in page
    assert 'http-equiv="refresh"' in page  # the page follows the job by reloading

    spreadsheets.run_import_task.run(*sent[0])  # what the worker runs
    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.created) == ("previewed", 3, 3, 3)
    assert not Client.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(response["Location"], **PT)
    job.refresh_from_db()
    assert job.status == "importing" and len(sent) == 2
    spreadsheets.run_import_task.run(*sent[1])
    job.refresh_from_db()
    assert (job.status, job.processed, job.created) == ("imported", 3, 3)
    assert Client.objects.count() == 3
    assert OutboxEvent.objects.count() == 3


def test_the_export_reads_in_a_budget_of_queries_whatever_the_clients(
    manager, django_assert_max_num_queries
):
    for client in ClientFactory.create_batch(25):
        AddressFactory(client=client, is_default=True)
    # Sign-in's session and user, the list's count, the clients, their addresses.
    with django_assert_max_num_queries(8):
        response = manager.get("/admin/clients/client/export/?format=csv")
        body = b"".join(response.streaming_content)
    assert body.count(b"\n") == 26


def test_an_unexpected_error_ends_the_job_with_a_message_not_a_500(manager, monkeypatch):
    from clients.admin import ClientAdmin

    def broken(row, *, actor):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ClientAdmin.importer, "import_row", broken)
    response = _upload(manager, _csv(HEADER, GOOD))
    job = _job()
    assert job.status == "failed" and "erro inesperado depois de 0 linhas" in job.error
    page = manager.get(response["Location"], **PT).content.decode()
    assert "erro inesperado" in page and 'http-equiv="refresh"' not in page
