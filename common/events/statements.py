"""Multi-row ``INSERT ... ON CONFLICT ... RETURNING``, which the ORM does not build with a
condition or a result: the inbox's and the copies' one statement per batch.

PostgreSQL and SQLite (3.35+) both run it. Identifiers come from the model's
metadata and every value is a parameter.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def insert_returning_keys(
    model: type[models.Model],
    fields: list[models.Field],
    rows: list[dict[str, Any]],
    *,
    on_conflict: str,
) -> set[Any]:
    """Inserts ``rows`` (field name -> Python value) into ``model``'s table, resolving a
    primary key conflict with ``on_conflict`` (``DO NOTHING``, ``DO UPDATE SET ...``, in
    which ``{table}`` stands for the quoted table name). Returns the primary keys of the
    rows inserted or updated, as Python values."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT ({quote(pk.column)}) {on_conflict.format(table=table)} "
        f"RETURNING {quote(pk.column)}"
    )
    params = [
        field.get_db_prep_save(row[field.name], connection) for row in rows for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk.to_python(value) for (value,) in cursor.fetchall()}
