"""One row's ``INSERT ... RETURNING <pk>``, its statement written once per model and database.

Replaces ``QuerySet.bulk_create([instance])`` (an ``InsertQuery`` built and compiled on
every call: an event's outbox row was a fifth of its write's Python) for models whose
every column takes a plain ``%s`` (a field with ``get_placeholder`` must say so with
``placeholder_is_plain``). It writes the instance's ``_state`` as the ORM does after an
insert. Measured gain: docs/performance.md, "The fast path". Off
(:func:`common.fastpath.enabled`), on a database that cannot return the key from an
insert, and for any other model, ``bulk_create`` runs.
"""

from __future__ import annotations

import functools

from django.db import connections, models
from django.db.models.sql import InsertQuery

from common import fastpath


def insert_one(instance: models.Model, *, using: str) -> None:
    """Inserts ``instance`` (a new row: its primary key assigned by the database) and
    sets its primary key, as ``bulk_create([instance])`` does."""
    model = type(instance)
    connection = connections[using]
    if not (
        fastpath.enabled()
        and connection.features.can_return_columns_from_insert
        and all(_plain(field) for field in _inserted(model))
    ):
        model._default_manager.using(using).bulk_create([instance])
        return
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in _inserted(model)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_statement(model, using), params)
        (instance.pk,) = connection.ops.fetch_returned_insert_columns(cursor, ())
    instance._state.adding = False
    instance._state.db = using


def _plain(field: models.Field) -> bool:
    return getattr(field, "get_placeholder", None) is None or getattr(
        field, "placeholder_is_plain", False
    )


@functools.cache
def _inserted(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The columns an insert writes: all but the primary key, which the database assigns."""
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key)


@functools.cache
def _statement(model: type[models.Model], alias: str) -> str:
    """The one-row INSERT ... RETURNING <pk> as the ORM writes it for ``alias``."""
    fields = _inserted(model)
    query = InsertQuery(model)
    query.insert_values(fields, [model()])
    compiler = query.get_compiler(alias)
    compiler.returning_fields = [model._meta.pk]
    [(sql, params)] = compiler.as_sql()
    if len(params) != len(fields):
        raise RuntimeError(f"unexpected one-row INSERT of {model.__name__}: {sql}")
    return sql
