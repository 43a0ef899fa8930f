"""The business in and out of spreadsheets (issue #38): what the clients and products
admins share to import CSV/XLSX files and to export any filtered admin list.

Reading and writing: openpyxl for XLSX, the standard library's csv for CSV
(docs/adr/draft-spreadsheets-library.md). A service describes its sheet with
``Column``s and an ``Importer`` whose ``import_row`` writes one row through its
services; ``SpreadsheetAdminMixin`` adds the pages:

- ``import/``: upload; the file is kept in the service's import job (a concrete
  ``ImportJob``) and previewed by running every row through the services inside a
  transaction that is rolled back (the same validation and messages as the API,
  nothing written, nothing published);
- ``import/<id>/``: the preview (created / updated / unchanged / refused, each
  refused row with its line and reason) and, on confirmation, the import: each row
  written by the services in its own transaction, so every change is recorded and
  published like any other; a row equal to what is stored is not written at all;
- ``import/<id>/refused.csv``: the refused rows;
- ``export/?<the list's filters>&format=csv|xlsx``: the filtered list, headers and
  words in the reader's language, numbers and dates typed in XLSX, CSV streamed.

A file of more than ``SPREADSHEET_BACKGROUND_ROWS`` rows is previewed and imported by a
Celery task on the service's own queue; the job's row holds the progress, so the page
shows it again after a reload.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from celery import Celery, shared_task
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.formats import get_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from common.api.errors import DomainError
from common.auth.actors import Actor, actor_of

logger = logging.getLogger(__name__)

#: Cells that a spreadsheet program would run as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAGIC = b"PK\x03\x04"
_BOOLEAN_WORDS = {
    "1": True,
    "true": True,
    "sim": True,
    "yes": True,
    "s": True,
    "0": False,
    "false": False,
    "não": False,
    "nao": False,
    "no": False,
    "n": False,
}


def max_upload_bytes() -> int:
    return getattr(settings, "SPREADSHEET_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)


def background_rows() -> int:
    return getattr(settings, "SPREADSHEET_BACKGROUND_ROWS", 300)


def is_upload_path(path: str) -> bool:
    """Whether ``path`` is an admin's spreadsheet upload, whose body may be larger than
    an API body: common.api.middleware measures it against ``max_upload_bytes`` instead,
    before anything reads it, and refuses a larger one with ``too_large_message``."""
    return path.startswith("/admin/") and path.endswith("/import/")


class SpreadsheetError(Exception):
    """A file that cannot be read as the sheet expected; ``str()`` says why, for people."""


@dataclass(frozen=True)
class Column:
    """One column of a sheet: ``key`` is the service's field, ``label`` its header in the
    reader's language. ``kind`` types the exported cell: text, decimal, integer, boolean
    or datetime."""

    key: str
    label: Any
    kind: str = "text"
    required: bool = True

    def headers(self) -> set[str]:
        """The headers read as this column: its key and its label in every language."""
        names = {self.key}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(str(self.label))
        return {_header_key(name) for name in names}


def _header_key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def read_boolean(text: str, *, default: bool) -> bool:
    """``sim``/``não``, ``yes``/``no``, ``true``/``false``, ``1``/``0``; blank is ``default``.
    Raises ValidationError otherwise."""
    value = text.strip().casefold()
    if not value:
        return default
    if value in _BOOLEAN_WORDS:
        return _BOOLEAN_WORDS[value]
    raise ValidationError(gettext("Type “sim” or “não”."), code="invalid")


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A data row: its line in the file (the header is line 1) and its cells as text,
    by column key."""

    line: int
    values: dict[str, str]


def read_rows(content: bytes, columns: Sequence[Column]) -> list[Row]:
    """The rows of a CSV or XLSX file whose first row names ``columns``.

    Raises SpreadsheetError when the file is too large, empty, not a spreadsheet, or
    its columns are not the expected ones (naming them). Formulas are read as the
    text typed (``=1+1``, never its result): they are stored as text.
    """
    if len(content) > max_upload_bytes():
        raise SpreadsheetError(too_large_message(len(content)))
    if not content.strip():
        raise SpreadsheetError(gettext("The file is empty."))
    table = _xlsx_table(content) if content.startswith(_XLSX_MAGIC) else _csv_table(content)
    # Numbered before blank rows are skipped: a refusal names the line the reader sees.
    numbered = [(line, cells) for line, cells in enumerate(table, start=1) if any(cells)]
    if not numbered:
        raise SpreadsheetError(gettext("The file is empty."))
    (_line, header), *body = numbered
    keys = _column_keys(header, columns)
    if not body:
        raise SpreadsheetError(gettext("The file has its header but no rows."))
    rows = []
    for line, cells in body:
        values = {key: (cells[index] if index < len(cells) else "") for index, key in keys}
        rows.append(Row(line=line, values=values))
    return rows


def _not_a_spreadsheet() -> SpreadsheetError:
    return SpreadsheetError(gettext("This file is not a spreadsheet: send a CSV or XLSX file."))


def _xlsx_table(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise _not_a_spreadsheet() from error
    try:
        sheet = workbook.worksheets[0]
        return [
            [_cell_text(value).strip() for value in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a person would have typed in a CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        # With the reader's decimal separator: 1.234 (a number) must not read as a
        # thousand and more in pt-BR (common.localization.forms.read_decimal refuses
        # that as ambiguous).
        return repr(value).replace(".", get_format("DECIMAL_SEPARATOR"))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def _csv_table(content: bytes) -> list[list[str]]:
    if b"\x00" in content[:4096]:
        raise _not_a_spreadsheet()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # What Excel writes in Brazil when it is not told to write UTF-8.
        text = content.decode("cp1252", errors="strict") if _latin_text(content) else None
        if text is None:
            raise _not_a_spreadsheet() from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [[cell.strip() for cell in row] for row in reader]
    except csv.Error as error:
        raise _not_a_spreadsheet() from error


def _latin_text(content: bytes) -> bool:
    try:
        text = content.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char in "\r\n\t" for char in text[:4096])


def _column_keys(header: list[str], columns: Sequence[Column]) -> list[tuple[int, str]]:
    by_header = {name: column for column in columns for name in column.headers()}
    found: list[tuple[int, str]] = []
    unknown = []
    for index, name in enumerate(header):
        column = by_header.get(_header_key(name))
        if column is None:
            if name.strip():
                unknown.append(name.strip())
            continue
        found.append((index, column.key))
    missing = [
        str(column.label)
        for column in columns
        if column.required and column.key not in {key for _index, key in found}
    ]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(gettext("Missing columns: %(names)s.") % {"names": ", ".join(missing)})
        if unknown:
            problems.append(gettext("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
        expected = ", ".join(str(column.label) for column in columns)
        problems.append(
            gettext("The first row must name the columns: %(names)s.") % {"names": expected}
        )
        raise SpreadsheetError(" ".join(problems))
    return found


def too_large_message(length: int) -> str:
    return gettext(
        "The file has %(size)s MB; the limit is %(limit)s MB. Split it into smaller files."
    ) % {"size": f"{length / 1024 / 1024:.1f}", "limit": max_upload_bytes() // 1024 // 1024}


# --- writing ----------------------------------------------------------------------------


def escape_cell(value: str) -> str:
    """Text that a spreadsheet program shows as typed: one that would start a formula
    gets a leading quote (``'=cmd|...``)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _exported(value: Any, kind: str) -> Any:
    """A value as an XLSX cell: numbers as numbers, datetimes as local dates without a
    zone (XLSX has none), words in the reader's language, text escaped."""
    if value is None:
        return None
    if kind == "boolean":
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, Decimal | int | float):
        return value
    return escape_cell(str(value))


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal | float):
        return str(value).replace(".", get_format("DECIMAL_SEPARATOR"))
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_response(
    *, file_name: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], file_format: str
) -> HttpResponse:
    """The rows as a CSV (streamed, ``;``-separated where the decimal point is a comma)
    or XLSX download named ``file_name``.csv/.xlsx."""
    headers = [str(column.label) for column in columns]
    kinds = [column.kind for column in columns]

    def cells(row: Sequence[Any]) -> list[Any]:
        return [_exported(value, kind) for value, kind in zip(row, kinds, strict=True)]

    if file_format == "xlsx":
        return _xlsx_response(file_name, headers, kinds, (cells(row) for row in rows))
    delimiter = ";" if get_format("DECIMAL_SEPARATOR") == "," else ","
    writer = csv.writer(_Echo(), delimiter=delimiter)

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(headers)  # the BOM: Excel reads it as UTF-8
        for row in rows:
            yield writer.writerow([_csv_text(value) for value in cells(row)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}.csv"'
    return response


def _xlsx_response(
    file_name: str, headers: list[str], kinds: list[str], rows: Iterable[list[Any]]
) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    # Write-only: rows go to the file as they come, not kept as cell objects.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    formats = {"decimal": "#,##0.00", "datetime": "dd/mm/yyyy hh:mm"}
    for row in rows:
        out = []
        for value, kind in zip(row, kinds, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if kind in formats and value is not None:
                cell.number_format = formats[kind]
            out.append(cell)
        sheet.append(out)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{file_name}.xlsx"'
    return response


# --- import jobs ------------------------------------------------------------------------


class ImportJob(models.Model):
    """An uploaded file, its preview and its import. Each importing service has a
    concrete subclass (its own table, in its own database).

    ``status`` goes previewing → previewed → importing → imported (or failed); the
    counts and ``refusals`` describe the preview until the import starts, then the
    import. ``processed`` of ``total`` rows is the progress bar.
    """

    class Status(models.TextChoices):
        PREVIEWING = "previewing", _("Checking the rows")
        PREVIEWED = "previewed", _("Checked, waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    file_name = models.CharField(_("file"), max_length=255)
    content = models.BinaryField()
    actor = models.JSONField(default=dict, help_text="common.auth.actors.Actor's fields")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refusals = models.JSONField(default=list, help_text="[{line, reason}] of the refused rows")
    error = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def refused(self) -> int:
        return len(self.refusals)

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100

    @property
    def running(self) -> bool:
        return self.status in {self.Status.PREVIEWING, self.Status.IMPORTING}


class Importer(Protocol):
    """A service's sheet: its columns and how one row is written through its services."""

    columns: Sequence[Column]

    def import_row(self, row: Row, *, actor: Actor) -> str:
        """Writes ``row`` through the services; returns ``created``, ``updated`` or
        ``unchanged`` (nothing written: the row equals what is stored). Raises
        ValidationError (keyed by column key), DomainError or PermissionDenied to refuse
        it; the row's writes are then undone."""
        ...


_importers: dict[str, tuple[Importer, type[ImportJob]]] = {}
#: How often (in rows) a job's progress is saved.
PROGRESS_EVERY = 50


class _DryRun(Exception):
    """Undoes a preview's writes."""


def refusal_reason(error: Exception, columns: Sequence[Column]) -> str:
    """A refused row's reason for people: each message after its column's header."""
    labels = {column.key: str(column.label) for column in columns}
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return " ".join(
            f"{labels.get(field, field)}: {message}" if field in labels else str(message)
            for field, found in error.message_dict.items()
            for message in found
        )
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, DomainError):
        found = error.extra.get("errors") or {}
        texts = [
            f"{labels[field]}: {message}" if field in labels else str(message)
            for field, messages_ in found.items()
            for message in messages_
        ]
        return " ".join(texts) or str(error.detail)
    return str(error)


def run_job(label: str, job_id: str) -> None:
    """Previews (a job ``previewing``) or imports (a job ``importing``) job ``job_id`` of
    model ``label``, saving its progress as it goes. What the task and the pages run."""
    importer, model = _importers[label]
    job = model.objects.get(pk=job_id)
    if not job.running:
        return  # a task delivered again after its job ended
    fields = dict(job.actor)
    language = fields.pop("language", None) or settings.LANGUAGE_CODE
    actor = Actor(**{**fields, "permissions": frozenset(fields.get("permissions", ()))})
    with translation.override(language):
        try:
            rows = read_rows(bytes(job.content), importer.columns)
        except SpreadsheetError as error:
            model.objects.filter(pk=job.pk).update(status=model.Status.FAILED, error=str(error))
            return
        job.total, job.processed = len(rows), 0
        model.objects.filter(pk=job.pk).update(total=job.total, processed=0)  # the bar's end
        job.created = job.updated = job.unchanged = 0
        job.refusals = []
        try:
            if job.status == model.Status.PREVIEWING:
                _preview(importer, job, rows, actor)
                job.status = model.Status.PREVIEWED
            else:
                _import(importer, job, rows, actor)
                job.status = model.Status.IMPORTED
        except Exception:
            # A bug, or the database gone: the page says so instead of waiting forever.
            logger.exception("spreadsheet job %s stopped", job.pk)
            job.status = model.Status.FAILED
            job.error = gettext(
                "The job stopped on an unexpected error after %(processed)s rows; the rows "
                "written before it stay written. Send the file again to finish it."
            ) % {"processed": job.processed}
        job.save()


def _count(job: ImportJob, row: Row, outcome: str | Exception, columns: Sequence[Column]) -> None:
    if isinstance(outcome, Exception):
        job.refusals.append({"line": row.line, "reason": refusal_reason(outcome, columns)})
    else:
        setattr(job, outcome, getattr(job, outcome) + 1)
    job.processed += 1
    if job.processed % PROGRESS_EVERY == 0:
        type(job).objects.filter(pk=job.pk).update(processed=job.processed)


def _attempt(importer: Importer, row: Row, actor: Actor, *, dry_run: bool) -> str | Exception:
    """The row's outcome. A preview (``dry_run``) writes the row through the services
    as the import will, in a transaction that is then rolled back: the same checks and
    messages, and nothing written or published."""
    try:
        with transaction.atomic():
            outcome = importer.import_row(row, actor=actor)
            if dry_run:
                raise _DryRun(outcome)
            return outcome
    except _DryRun as undone:
        return undone.args[0]
    except (ValidationError, DomainError, PermissionDenied) as error:
        return error


def _preview(importer: Importer, job: ImportJob, rows: list[Row], actor: Actor) -> None:
    for row in rows:
        _count(job, row, _attempt(importer, row, actor, dry_run=True), importer.columns)


def _import(importer: Importer, job: ImportJob, rows: list[Row], actor: Actor) -> None:
    for row in rows:
        _count(job, row, _attempt(importer, row, actor, dry_run=False), importer.columns)


@shared_task(name="spreadsheets.run_import", ignore_result=True)
def run_import_task(label: str, job_id: str) -> None:
    """A large file's preview or import, on the service's own queue. Acknowledged late,
    as the consumers' tasks: run again after a worker died, it finds the rows already
    written unchanged."""
    run_job(label, job_id)


def _start(job: ImportJob) -> None:
    """Runs the job now for a small file, in the background for a large one."""
    label = job._meta.label
    if _row_estimate(job) <= background_rows():
        run_job(label, str(job.pk))
        return
    transaction.on_commit(lambda: _send(label, str(job.pk)))


def _row_estimate(job: ImportJob) -> int:
    content = bytes(job.content)
    if content.startswith(_XLSX_MAGIC):
        # A compressed file says little by its size: read it (it is read again later).
        importer, _model = _importers[job._meta.label]
        try:
            return len(read_rows(content, importer.columns))
        except SpreadsheetError:
            return 0
    return content.count(b"\n")


def _send(label: str, job_id: str) -> None:
    """Queues ``run_import_task`` on this service's own queue (its worker's, which the
    topology declared): through the default exchange, which routes by queue name on
    AMQP and Redis alike, declaring nothing (a quorum queue must not be re-declared)."""
    name = settings.EVENTS_CONSUMER_QUEUE
    queue = Queue(name, Exchange(""), routing_key=name, no_declare=True)
    app = Celery(settings.SERVICE_NAME)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    with app.producer_or_acquire() as producer:
        app.send_task(
            "spreadsheets.run_import", args=[label, job_id], queue=queue, producer=producer
        )


# --- the admin pages --------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """What an admin list exports: the columns and, for its filtered queryset, the rows
    (one sequence of values per row, in the columns' order)."""

    file_name: Any  # a lazy text: the reader's language
    columns: Sequence[Column]
    rows: Callable[[Any], Iterable[Sequence[Any]]]


class SpreadsheetAdminMixin:
    """A ModelAdmin with ``Export CSV``/``Export XLSX`` links on its list (the list's
    filters kept) and, when ``importer`` and ``import_job_model`` are set, an import.

    Import is allowed to a user with the model's add or change code (as the API's
    create and update); each row still needs the code of what it does (the importer
    checks it). Export needs the view code.
    """

    change_list_template = "common/spreadsheets/change_list.html"
    importer: Importer | None = None
    import_job_model: type[ImportJob] | None = None
    export: Export

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.importer is not None and cls.import_job_model is not None:
            _importers[cls.import_job_model._meta.label] = (cls.importer, cls.import_job_model)

    def _url_name(self, page: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{page}"

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        urls = [path("export/", wrap(self.export_view), name=self._url_name("export"))]
        if self.importer is not None:
            urls += [
                path("import/", wrap(self.import_view), name=self._url_name("import")),
                path(
                    "import/<uuid:job_id>/", wrap(self.import_job_view), name=self._url_name("job")
                ),
                path(
                    "import/<uuid:job_id>/refused.csv",
                    wrap(self.refused_view),
                    name=self._url_name("refused"),
                ),
            ]
        return urls + super().get_urls()

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.importer is not None and (
            self.has_add_permission(request) or self.has_change_permission(request)
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        query = request.GET.urlencode()
        export_url = reverse("admin:" + self._url_name("export"))
        context = {
            "spreadsheet_export_urls": [
                (label, f"{export_url}?{query}{'&' if query else ''}format={file_format}")
                for file_format, label in (("csv", _("Export CSV")), ("xlsx", _("Export XLSX")))
            ],
            "spreadsheet_import_url": reverse("admin:" + self._url_name("import"))
            if self.has_import_permission(request)
            else None,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        file_format = request.GET.get("format", "csv")
        query = request.GET.copy()
        query.pop("format", None)
        # The list's own filters, search and ordering, as the page shows them.
        request.GET = query
        queryset = self.get_changelist_instance(request).get_queryset(request)
        return export_response(
            file_name=self.export.file_name,
            columns=self.export.columns,
            rows=self.export.rows(queryset),
            file_format="xlsx" if file_format == "xlsx" else "csv",
        )

    def _page(self, request: HttpRequest, template: str, context: dict, status: int = 200) -> Any:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "columns": self.importer.columns if self.importer else [],
            "max_megabytes": max_upload_bytes() // 1024 // 1024,
            "note": getattr(self.importer, "note", ""),
            **context,
        }
        return TemplateResponse(request, template, context, status=status)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        title = gettext("Import %(name)s") % {"name": self.opts.verbose_name_plural}
        if request.method != "POST":
            return self._page(request, "common/spreadsheets/import.html", {"title": title})
        upload = request.FILES.get("file")
        if upload is None:
            context = {"title": title, "error": gettext("Choose a CSV or XLSX file.")}
            return self._page(request, "common/spreadsheets/import.html", context, status=400)
        content = upload.read()
        try:
            read_rows(content, self.importer.columns)
        except SpreadsheetError as error:
            context = {"title": title, "error": str(error)}
            return self._page(request, "common/spreadsheets/import.html", context, status=400)
        actor = actor_of(request.user)
        job = self.import_job_model.objects.create(
            file_name=upload.name[:255],
            content=content,
            status=ImportJob.Status.PREVIEWING,
            actor={
                "id": actor.id,
                "username": actor.username,
                "is_superuser": actor.is_superuser,
                "is_staff": actor.is_staff,
                "permissions": sorted(actor.permissions),
                "language": translation.get_language(),
            },
        )
        _start(job)
        return HttpResponseRedirect(self._job_url(job))

    def _job_url(self, job: ImportJob) -> str:
        return reverse("admin:" + self._url_name("job"), args=[job.pk])

    def _job(self, request: HttpRequest, job_id: uuid.UUID) -> ImportJob:
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = get_object_or_404(self.import_job_model, pk=job_id)
        if job.actor.get("id") != str(request.user.pk) and not request.user.is_superuser:
            raise PermissionDenied  # someone else's file
        return job

    def import_job_view(self, request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
        job = self._job(request, job_id)
        if request.method == "POST" and job.status == ImportJob.Status.PREVIEWED:
            # Only one confirmation starts the import, however many are sent.
            started = self.import_job_model.objects.filter(
                pk=job.pk, status=ImportJob.Status.PREVIEWED
            ).update(status=ImportJob.Status.IMPORTING, processed=0)
            if started:
                job.refresh_from_db()
                _start(job)
                job.refresh_from_db()
                if job.status == ImportJob.Status.IMPORTED:
                    self.message_user(request, _summary(job), messages.SUCCESS)
            return HttpResponseRedirect(self._job_url(job))
        context = {
            "title": job.file_name,
            "job": job,
            "summary": _summary(job),
            "refusals": job.refusals[:100],
            "refused_url": reverse("admin:" + self._url_name("refused"), args=[job.pk]),
            "list_url": reverse("admin:" + self._url_name("changelist")),
        }
        return self._page(request, "common/spreadsheets/job.html", context)

    def refused_view(self, request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
        job = self._job(request, job_id)
        columns = [Column("line", _("line"), "integer"), Column("reason", _("reason"))]
        rows = ((refusal["line"], refusal["reason"]) for refusal in job.refusals)
        refused = gettext("refused")
        stem = job.file_name.rsplit(".", 1)[0]
        return export_response(
            file_name=f"{stem}-{refused}", columns=columns, rows=rows, file_format="csv"
        )


def _summary(job: ImportJob) -> str:
    if job.status in {ImportJob.Status.PREVIEWING, ImportJob.Status.PREVIEWED}:
        text = ngettext(
            "%(total)d row: %(created)d to create, %(updated)d to update, "
            "%(unchanged)d unchanged, %(refused)d refused.",
            "%(total)d rows: %(created)d to create, %(updated)d to update, "
            "%(unchanged)d unchanged, %(refused)d refused.",
            job.total,
        )
    else:
        text = ngettext(
            "%(total)d row: %(created)d created, %(updated)d updated, "
            "%(unchanged)d unchanged, %(refused)d refused.",
            "%(total)d rows: %(created)d created, %(updated)d updated, "
            "%(unchanged)d unchanged, %(refused)d refused.",
            job.total,
        )
    return text % {
        "total": job.total,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "refused": job.refused,
    }
