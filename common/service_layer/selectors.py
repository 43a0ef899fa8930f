"""Reads every service shares."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from common.api.errors import NotFound

M = TypeVar("M", bound=Model)


def get_or_not_found(queryset: QuerySet[M], **lookup: Any) -> M:
    """The one row ``queryset`` has for ``lookup``, as Django's ``get_object_or_404``.

    Raises ``common.api.errors.NotFound`` (404 ``not_found``) when there is none.
    """
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise NotFound() from exc


def ensure_exists(queryset: QuerySet[Any], **lookup: Any) -> None:
    """Raises ``common.api.errors.NotFound`` unless ``queryset`` has a row for ``lookup``."""
    if not queryset.filter(**lookup).exists():
        raise NotFound()
