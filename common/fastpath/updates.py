"""A model's ``UPDATE ... WHERE pk`` written once per model, columns and database.

Replaces ``Model._do_update`` (Django filters a queryset by the primary key and compiles
its ``UPDATE`` on every save; that was the largest part of saving an aggregate's change)
for the saves it covers. Measured gain: docs/performance.md, "The fast path". Off
(:func:`common.fastpath.enabled`), and for what it does not cover (an expression or a
model instance as a value, a field placeholder of its own, a filtered base manager,
``select_on_save``), Django's own runs.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connections, models

from common import fastpath


class UpdateStatementCache:
    """Mixed into a model (before ``models.Model``): its saves of an existing row send a
    statement written once. The same row changes as with Django's; a value of None is
    bound as a parameter (NULL) where Django writes ``= NULL``."""

    def _do_update(
        self,
        base_qs: models.QuerySet[Any],
        using: str,
        pk_val: Any,
        values: list[tuple[models.Field, Any, Any]],
        update_fields: Any,
        forced_update: bool,
    ) -> bool:
        if (
            not fastpath.enabled()
            or not values
            or self._meta.select_on_save
            or base_qs.query.where
            or not all(_plain_update(field, value) for field, _, value in values)
        ):
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        connection = connections[using]
        model = base_qs.model
        statement = _update_statement(
            model, tuple(field.column for field, _, _ in values), using, connection.vendor
        )
        params = [field.get_db_prep_save(value, connection) for field, _, value in values]
        params.append(model._meta.pk.get_db_prep_value(pk_val, connection, prepared=False))
        # save_base has marked the transaction for rollback should the statement fail.
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.rowcount > 0


def _plain_update(field: models.Field, value: Any) -> bool:
    return (
        not hasattr(value, "resolve_expression")
        and not hasattr(value, "prepare_database_save")
        and getattr(field, "get_placeholder", None) is None
    )


@functools.cache
def _update_statement(
    model: type[models.Model], columns: tuple[str, ...], alias: str, vendor: str
) -> str:
    """``UPDATE <table> SET <column> = %s, ... WHERE <table>.<pk> = %s``, as the ORM
    writes it for ``alias`` (a ``vendor`` database); identifiers from the model's
    metadata, every value a parameter."""
    quote = connections[alias].ops.quote_name
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    key = quote(model._meta.pk.column)
    return f"UPDATE {table} SET {assignments} WHERE {table}.{key} = %s"  # noqa: S608
