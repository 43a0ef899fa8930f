"""Optimistic concurrency: every resource carries an integer ``version``.

GET returns ``ETag: "<version>"``; PUT, PATCH and DELETE may send ``If-Match``
and the service compares it, under the row lock, with the stored version.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.errors import PreconditionFailed
from common.fastpath.updates import UpdateStatementCache


class VersionedModel(UpdateStatementCache, models.Model):
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

    def mark_changed(self) -> None:
        """Counts a change made in memory as ``save()`` of the row would (the version
        bumped, ``updated_at`` now), for a caller that writes many changed rows in one
        statement (``update_all``) naming ``version`` and ``updated_at``. A bulk write sends no
        signal: that caller records their events itself (``record_saved``), in the
        same transaction."""
        self.version += 1
        self.updated_at = timezone.now()


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
