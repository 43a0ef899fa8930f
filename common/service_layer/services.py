"""The skeleton every service's write use-cases share: locking a row, changing its
fields, saving it against a unique constraint.

Call these inside the use-case's ``transaction.atomic``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
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
