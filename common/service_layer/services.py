"""The skeleton every service's write use-cases share: locking a row, changing its
fields, saving it against a unique constraint, writing many changed rows at once.

Call these inside the use-case's ``transaction.atomic``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from common.api.errors import NotFound
from common.fastpath.queries import CompiledQuery
from common.versioning import check_version

M = TypeVar("M", bound=Model)


def lock(model: type[M], pk: uuid.UUID | str, *, expected_version: int | None = None) -> M:
    """The row, locked (``SELECT ... FOR UPDATE``) until the transaction ends.

    Raises NotFound ("No <model> has this id.") when there is none, and
    PreconditionFailed when ``expected_version`` is given and is not the row's.
    """
    found = _locking_read(model)(pk)
    if not found:
        raise NotFound(_("No %(model)s has this id."), params={"model": model._meta.verbose_name})
    instance = found[0]
    check_version(instance, expected_version)
    return instance


@functools.cache
def _locking_read(model: type[M]) -> CompiledQuery[M]:
    return CompiledQuery(
        lambda pk: model._default_manager.select_for_update().filter(pk=pk).order_by()
    )


def model_update(instance: M, *, fields: Iterable[str], data: Mapping[str, Any]) -> None:
    """Sets ``data`` on ``instance``, as HackSoft's ``model_update``, but saves nothing:
    the use-case validates and saves (``save_unique``) so its own checks come first.

    Raises ValueError when ``data`` names a field outside ``fields`` (a caller's bug:
    the input serializers only let those through).
    """
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)} of a {type(instance).__name__}")
    for field, value in data.items():
        setattr(instance, field, value)


def save_unique(
    instance: M,
    *,
    unique: Mapping[str, str],
    conflict: tuple[str, str] | None = None,
    exclude: Iterable[str] = (),
    validate: Callable[[M], None] | None = None,
) -> None:
    """Validates and saves ``instance``, refusing duplicates with messages for people.

    ``full_clean`` (except ``exclude``; uniqueness is checked here), then
    ``validate``, then each ``unique`` lookup (``"email__iexact"``) that another
    row matches raises ValidationError keyed by its field with its message. The
    save runs in a savepoint: a concurrent duplicate that passed the check
    meets the database's constraint and raises ValidationError ``conflict``
    (field, message; by default the first ``unique`` entry's).
    """
    instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    if validate is not None:
        validate(instance)
    others = type(instance)._default_manager.exclude(pk=instance.pk)
    errors: dict[str, list[str]] = {}
    for lookup, message in unique.items():
        field = lookup.split("__")[0]
        if others.filter(**{lookup: getattr(instance, field)}).exists():
            errors[field] = [message]
    if errors:
        raise ValidationError(errors)
    field, message = conflict or next(iter(unique.items()))
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationError({field.split("__")[0]: [message]}) from exc


#: ``update_all``'s statement on PostgreSQL: one array parameter per column, the first
#: the primary keys.
_UPDATE_FROM_ARRAYS = (
    "UPDATE {table} SET {set} FROM unnest({arrays}) AS rows({columns}) "
    "WHERE {table}.{pk} = rows.{pk}"
)


def update_all(instances: Sequence[M], *, fields: Sequence[str]) -> None:
    """Writes ``fields`` of ``instances``, rows of one model already in its table, in
    one UPDATE, as ``bulk_update`` does; sends no signal, as it does not either.

    ``bulk_update`` builds a ``CASE WHEN`` branch per row and field, and resolving them
    costs Python in proportion to both (a run of 150 products moved was a fifth of
    the reserving worker's time). On PostgreSQL this sends one array per column
    instead (``UPDATE ... FROM unnest(...)``), whatever the number of rows; elsewhere
    ``bulk_update`` runs. Raises IntegrityError as either write would: the table's
    constraints judge each row as written.
    """
    if not instances:
        return
    model = type(instances[0])
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_update(instances, fields)
        return
    columns = [model._meta.pk, *(model._meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = [quote(column.column) for column in columns]
    statement = _UPDATE_FROM_ARRAYS.format(
        table=table,
        set=", ".join(f"{name} = rows.{name}" for name in names[1:]),
        arrays=", ".join(f"%s::{column.db_type(connection)}[]" for column in columns),
        columns=", ".join(names),
        pk=names[0],
    )
    params = [
        [column.get_db_prep_save(getattr(row, column.attname), connection) for row in instances]
        for column in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
