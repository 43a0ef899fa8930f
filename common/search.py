"""``?search=`` and the admin's search as people type: without accents, in any case.

A searchable model keeps ``search_text``: the text of the fields it is searched by
(names, cities, districts, and whatever else its list searches), folded: lower case,
NFKD, combining marks dropped, so "João Conceição" is kept as "joao conceicao". The
lookup ``search_text__folded_contains`` folds the term the same way in Python and
asks for a plain ``LIKE '%term%'`` on the column: the same rows on SQLite and on
PostgreSQL, where a trigram index (:func:`trigram_index`) serves that ``LIKE``
(docs/adr/0105-folded-search-column.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django.db import migrations, models
from django.db.models import Lookup
from django.utils.translation import gettext_lazy as _

#: Between the folded parts of a ``search_text``: a term typed with no line break
#: never matches across two fields.
PART_SEPARATOR = "\n"


def fold(text: str) -> str:
    """Lower case without accents: "Concluído" and "concluido" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_text(*parts: str | None) -> str:
    """The folded ``parts``, empty and repeated ones left out, in their order."""
    folded = (fold(part) for part in parts if part)
    return PART_SEPARATOR.join(dict.fromkeys(part for part in folded if part))


class FoldedContains(Lookup):
    """``LIKE '%term%'`` with the term folded (:func:`fold`) first, its ``%`` and ``_``
    taken literally: the backend's own ``contains``, so PostgreSQL's trigram index
    serves it. Takes a string, not an expression."""

    lookup_name = "folded_contains"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if hasattr(self.rhs, "resolve_expression"):
            raise TypeError("folded_contains takes a string")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        pattern = f"%{connection.ops.prep_for_like_query(fold(str(self.rhs)))}%"
        return f"{lhs} {connection.operators['contains'] % '%s'}", [*lhs_params, pattern]


class SearchTextField(models.TextField):
    """The folded text a model is searched by; written by :class:`Searchable`, never by
    people (not editable)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("verbose_name", _("search text"))
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)


SearchTextField.register_lookup(FoldedContains)

#: What a searchable model's views and admins put in ``search_fields``.
SEARCH = "search_text__folded_contains"


class Searchable(models.Model):
    """Keeps ``search_text`` current on every ``save()``.

    ``SEARCHED_FIELDS`` names the fields it holds; a model that searches more (its
    addresses) extends :meth:`searched_texts`. A save with ``update_fields`` naming
    none of ``SEARCHED_FIELDS`` leaves ``search_text`` alone (a stock change does not
    rewrite a product's name). Writes that skip ``save()`` (bulk writes, the event
    copies' upserts) set ``search_text`` themselves, from :meth:`current_search_text`.
    """

    SEARCHED_FIELDS: ClassVar[tuple[str, ...]] = ()

    search_text = SearchTextField()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or not set(update_fields).isdisjoint(self.SEARCHED_FIELDS):
            self.search_text = self.current_search_text()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def searched_texts(self) -> list[str]:
        return [getattr(self, name) for name in self.SEARCHED_FIELDS]

    def current_search_text(self) -> str:
        return search_text(*self.searched_texts())


# --- migrations -----------------------------------------------------------------------


def fill_search_text(
    model_label: str,
    texts_of: Callable[[Any], Iterable[str | None]],
    *,
    prefetch: tuple[str, ...] = (),
    batch_size: int = 1000,
) -> migrations.RunPython:
    """A migration step that writes ``search_text`` of every existing row of
    ``model_label`` ("app.Model"), ``batch_size`` rows at a time in primary-key order
    (one read, one bulk update per batch, on any database). ``texts_of`` receives the
    historical model's row (its ``prefetch`` relations loaded)."""

    def fill(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(model_label)
        rows = model._default_manager.using(schema_editor.connection.alias).order_by("pk")
        last = None
        while True:
            batch = rows.filter(pk__gt=last) if last is not None else rows
            batch = list(batch.prefetch_related(*prefetch)[:batch_size])
            if not batch:
                return
            for row in batch:
                row.search_text = search_text(*texts_of(row))
            model._default_manager.using(schema_editor.connection.alias).bulk_update(
                batch, ["search_text"]
            )
            last = batch[-1].pk

    return migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)


def trigram_index(model_label: str, name: str) -> migrations.RunPython:
    """A migration step that, on PostgreSQL, enables ``pg_trgm`` and indexes
    ``search_text`` with a GIN trigram index, so ``LIKE '%term%'`` is answered from the
    index; nothing on SQLite (its tables are small: a scan is what it does anyway).

    ``CREATE EXTENSION IF NOT EXISTS`` needs the right to create it (pg_trgm is a
    trusted extension: the database's owner has it) unless it is already there; a role
    without it has the extension created once by its DBA (docs/adr/0106-trigram-index.md)."""

    def create(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model(model_label)._meta.db_table)
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON {table} USING gin (search_text gin_trgm_ops)"
        )

    def drop(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    return migrations.RunPython(create, drop)
