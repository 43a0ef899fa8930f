"""Django's PostgreSQL compilers, with bulk inserts of a few rows sent as ``VALUES``.

Django 5.2 sends every bulk insert of two rows or more as ``UNNEST`` of one array
per column, which saves PostgreSQL planning on long inserts. With client-side
binding (Django's default for psycopg) those arrays are built and quoted in Python:
an order's three items took 0.3-0.7 ms more than as ``VALUES`` (measured in process,
three runs), about 4 % of an order creation under load. From ``UNNEST_FROM_ROWS``
rows on, ``UNNEST`` is the faster one (30 rows: 6.6 against 7.8 ms; 500: 55 against
121), so it keeps them.
"""

from django.db.backends.postgresql import compiler
from django.db.backends.postgresql.compiler import (
    SQLAggregateCompiler,
    SQLCompiler,
    SQLDeleteCompiler,
    SQLUpdateCompiler,
)
from django.db.models.sql import compiler as base

__all__ = [
    "SQLAggregateCompiler",
    "SQLCompiler",
    "SQLDeleteCompiler",
    "SQLInsertCompiler",
    "SQLUpdateCompiler",
]

UNNEST_FROM_ROWS = 10


def _plain(fields, value_rows) -> bool:
    """Whether every value is sent as one ``%s`` parameter (no field placeholder of its
    own, no expression): then the placeholders need not be asked for value by value."""
    return all(
        getattr(field, "get_placeholder", None) is None
        or getattr(field, "placeholder_is_plain", False)
        for field in fields
    ) and not any(hasattr(value, "as_sql") for row in value_rows for value in row)


class SQLInsertCompiler(compiler.SQLInsertCompiler):
    def assemble_as_sql(self, fields, value_rows):
        if len(value_rows) >= UNNEST_FROM_ROWS:
            return super().assemble_as_sql(fields, value_rows)
        if value_rows and _plain(fields, value_rows):
            placeholders = ["%s"] * len(fields)
            return [placeholders] * len(value_rows), [list(row) for row in value_rows]
        return base.SQLInsertCompiler.assemble_as_sql(self, fields, value_rows)
