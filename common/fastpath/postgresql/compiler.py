"""Django's PostgreSQL compilers; short inserts as ``VALUES``, their text written once.

Django 5.2 sends every bulk insert of two rows or more as ``UNNEST`` of one array
per column, which saves PostgreSQL planning on long inserts. With client-side
binding (Django's default for psycopg) those arrays are built and quoted in Python:
an order's three items took 0.3-0.7 ms more than as ``VALUES`` (measured in process,
three runs), about 4 % of an order creation under load. From ``UNNEST_FROM_ROWS``
rows on, ``UNNEST`` is the faster one (30 rows: 6.6 against 7.8 ms; 500: 55 against
121), so it keeps them.

A short insert whose values are all plain parameters (no expression, no placeholder
of a field's own) has a text that depends only on its shape: the table, the
columns, the number of rows, the conflict clause and the returned columns. The
first insert of a shape is written by Django; later ones reuse that text and only
prepare their values, field by field as Django does. Building the statement was
about half of the compiler's time in an order creation.
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


def _plain_field(field) -> bool:
    return getattr(field, "get_placeholder", None) is None or getattr(
        field, "placeholder_is_plain", False
    )


def _plain(fields, value_rows) -> bool:
    """Whether every value is sent as one ``%s`` parameter (no field placeholder of its
    own, no expression): then the placeholders need not be asked for value by value."""
    return all(_plain_field(field) for field in fields) and not any(
        hasattr(value, "as_sql") for row in value_rows for value in row
    )


class SQLInsertCompiler(compiler.SQLInsertCompiler):
    #: Statements of plain inserts by shape (see ``_shape``), written once per process.
    _statements: dict[tuple, tuple[str, tuple]] = {}

    def as_sql(self):
        """Django's statement; a plain insert of a shape seen before reuses the text and
        only prepares its values (as Django does, field by field)."""
        shape = self._shape()
        if shape is None:
            return super().as_sql()
        known = self._statements.get(shape)
        if known is None:
            statements = super().as_sql()
            # Kept only when Django, too, sent one parameter per value.
            values = len(self.query.fields) * len(self.query.objs)
            if len(statements) == 1 and len(statements[0][1]) == values + len(
                self.returning_params
            ):
                self._statements[shape] = (statements[0][0], tuple(self.returning_params))
            return statements
        sql, self.returning_params = known
        fields = self.query.fields
        params = [
            self.prepare_value(field, self.pre_save_val(field, obj))
            for obj in self.query.objs
            for field in fields
        ]
        return [(sql, (*params, *self.returning_params))]

    def _shape(self) -> tuple | None:
        """What the statement's text depends on, or None when it depends on the values
        (an expression, a field's own placeholder) or is not a short ``VALUES`` insert."""
        query = self.query
        fields = query.fields
        if not fields or not 0 < len(query.objs) < UNNEST_FROM_ROWS:
            return None
        if not all(_plain_field(field) for field in fields):
            return None
        for obj in query.objs:
            for field in fields:
                if hasattr(getattr(obj, field.attname, None), "resolve_expression"):
                    return None
        returning = self.returning_fields or ()
        return (
            query.model._meta.db_table,
            tuple(field.column for field in fields),
            len(query.objs),
            query.on_conflict,
            tuple(field.column for field in query.update_fields or ()),
            tuple(field.column for field in query.unique_fields or ()),
            tuple(field.column for field in returning),
            self.connection.alias,
        )

    def assemble_as_sql(self, fields, value_rows):
        if len(value_rows) >= UNNEST_FROM_ROWS:
            return super().assemble_as_sql(fields, value_rows)
        if value_rows and _plain(fields, value_rows):
            placeholders = ["%s"] * len(fields)
            return [placeholders] * len(value_rows), [list(row) for row in value_rows]
        return base.SQLInsertCompiler.assemble_as_sql(self, fields, value_rows)
