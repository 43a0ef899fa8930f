"""Optimistic concurrency: every resource carries an integer ``version``.

GET returns ``ETag: "<version>"``; PUT, PATCH and DELETE may send ``If-Match``
and the service compares it, under the row lock, with the stored version.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connections, models
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.errors import PreconditionFailed


class VersionedModel(models.Model):
    """Adds ``version`` (bumped on every save of an existing row) and timestamps.

    ``UNVERSIONED_FIELDS`` names bookkeeping fields whose saves alone (through
    ``update_fields``) do not count as a change of the resource.
    """

    UNVERSIONED_FIELDS: frozenset[str] = frozenset()

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        bookkeeping_only = update_fields is not None and set(update_fields) <= set(
            self.UNVERSIONED_FIELDS
        )
        if not self._state.adding and not bookkeeping_only:
            self.version += 1
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
        super().save(*args, **kwargs)

    def _do_update(
        self,
        base_qs: models.QuerySet[Any],
        using: str,
        pk_val: Any,
        values: list[tuple[models.Field, Any, Any]],
        update_fields: Any,
        forced_update: bool,
    ) -> bool:
        """Django's ``UPDATE ... WHERE pk``, its statement written once per model, columns
        and database instead of a queryset filtered and compiled on every save (the
        largest part of saving an aggregate's change). What it does not cover (an
        expression or model instance as a value, a field placeholder of its own, a
        filtered base manager, ``select_on_save``) goes to Django's own. A value of None
        is bound as a parameter (NULL) where Django writes ``= NULL``: the same row."""
        if (
            not values
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


def expected_version(request: Request) -> int | None:
    """The version named by ``If-Match`` (``"3"``, ``W/"3"`` or ``3``); None when absent or ``*``.

    Raises PreconditionFailed when the header names something that is not a version.
    """
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    try:
        return int(value)
    except ValueError as exc:
        raise PreconditionFailed(
            _("If-Match must be an ETag of this API, like '\"3\"'; got '%(value)s'."),
            params={"value": raw},
        ) from exc


def check_version(instance: VersionedModel, expected: int | None) -> None:
    """Raises PreconditionFailed when ``expected`` is given and differs from the stored version."""
    if expected is not None and expected != instance.version:
        raise PreconditionFailed(
            _("The resource is at version %(current)s; If-Match named version %(expected)s."),
            params={"current": instance.version, "expected": expected},
            extra={"current_version": instance.version},
        )


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response
