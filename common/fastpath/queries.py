"""Reads by id with the ORM's statement written once, and rows handed to a relation.

- :class:`CompiledQuery` replaces compiling a queryset on every call
  (``QuerySet.filter`` → ``Query.get_compiler().as_sql()`` → Django's per-query set-up)
  with a statement the ORM wrote once, and builds the rows as the ORM does. It reads
  the compiler's ``select``, ``klass_info`` and ``get_converters``.
- :func:`with_prefetched` replaces a read of rows the caller already holds (a new
  order's items, read back for its event and its answer) with what
  ``prefetch_related`` leaves behind: it writes ``_result_cache``, ``_prefetch_done``
  and ``_prefetched_objects_cache``.

Measured gains: docs/performance.md, "The fast path". Off (:func:`common.fastpath.enabled`),
a compiled query is the queryset its builder returns, and a relation given its rows
is read from the database when used, as Django reads it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet, UUIDField
from django.db.transaction import TransactionManagementError

from common import fastpath

M = TypeVar("M", bound=Model)

_UUID = UUIDField()


class CompiledQuery(Generic[M]):
    """A queryset over ids whose SQL the ORM writes once per database, then reused.

    Turning a queryset into SQL (filters, joins, the compiler) and Django's per-query
    set-up were a third of an order read under load (docs/performance.md).
    ``CompiledQuery(lambda order_id: Order.objects.filter(pk=order_id))`` has the ORM
    write that statement once per database alias, with stand-in ids, and keeps the
    column converters it chose; each call runs the statement with the ids it is given
    and builds the models as the ORM does (``Model.from_db``).

    The builder takes ids (UUIDs or their text; ``lambda *ids: ...filter(pk__in=ids)``
    takes any number), uses each as a plain query parameter
    and selects whole rows of its model (no ``only``, annotations or
    ``select_related``); anything else raises ValueError at the first call. Calling
    raises ValidationError for an id that is not a UUID and, as Django does,
    TransactionManagementError for ``select_for_update`` outside a transaction.
    """

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self._build = build
        self._statements: dict[tuple[str, int], _Statement] = {}

    def __call__(self, *ids: uuid.UUID | str, using: str = DEFAULT_DB_ALIAS) -> list[M]:
        if not fastpath.enabled():
            return list(self._build(*ids).using(using))
        connection = connections[using]
        key = (using, len(ids))
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = self._compile(len(ids), using)
        if not statement.sql:
            return []
        if statement.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        values = list(statement.params)
        for position, argument in statement.slots:
            values[position] = _UUID.get_db_prep_value(ids[argument], connection)
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, values)
            rows = cursor.fetchall()
        model, converters = statement.model, statement.converters
        found = []
        for row in rows:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
            found.append(model.from_db(using, statement.attnames, row))
        return found

    def _compile(self, arity: int, using: str) -> _Statement:
        connection = connections[using]
        stand_ins = [uuid.uuid4() for _ in range(arity)]
        queryset = self._build(*stand_ins)
        model = queryset.model
        compiler = queryset.query.get_compiler(using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. pk__in of no ids: no rows, whatever the ids
            return _Statement(model, "", (), (), False, (), ())
        selected = [expression for expression, _, _ in compiler.select]
        fields = [getattr(expression, "target", None) for expression in selected]
        if fields != list(model._meta.concrete_fields) or compiler.klass_info.get(
            "related_klass_infos"
        ):
            raise ValueError(f"CompiledQuery takes whole rows of {model.__name__}, no more")
        prepared = [_UUID.get_db_prep_value(stand_in, connection) for stand_in in stand_ins]
        slots = [
            (position, prepared.index(param))
            for position, param in enumerate(params)
            if param in prepared
        ]
        if {argument for _, argument in slots} != set(range(arity)):
            raise ValueError("CompiledQuery's builder must use each id as a query parameter")
        return _Statement(
            model=model,
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            locks=queryset.query.select_for_update,
            attnames=tuple(field.attname for field in fields),
            converters=tuple(compiler.get_converters(selected).items()),
        )


@dataclass(frozen=True)
class _Statement:
    model: type[Model]
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (parameter position, argument index)
    locks: bool
    attnames: tuple[str, ...]
    converters: tuple[tuple[int, tuple[list[Callable], Any]], ...]


def with_prefetched(instance: Model, relation: str, rows: Iterable[Model]) -> None:
    """Gives ``instance`` the rows of a reverse relation as ``prefetch_related`` would:
    ``instance.<relation>.all()`` returns them without a query. Off, nothing is
    given: the relation is read when used, as Django reads it."""
    if not fastpath.enabled():
        return
    queryset = getattr(instance, relation).get_queryset()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[relation] = queryset
