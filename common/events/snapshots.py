"""Keeping a local copy of another service's aggregate from its events."""

from __future__ import annotations

from typing import Any

from django.db import models


def apply_if_newer(
    model: type[models.Model], *, aggregate_id: Any, version: int, values: dict[str, Any]
) -> bool:
    """Upserts the copy with ``values`` when ``version`` is newer than the one it has.

    Call it inside the event's transaction (the consumer's handler). Returns
    False, changing nothing, for an event older than or equal to the copy:
    late and out-of-order events never move a copy backwards.
    """
    copy = model._default_manager.select_for_update().filter(pk=aggregate_id).first()
    if copy is not None and copy.version >= version:
        return False
    if copy is None:
        copy = model(pk=aggregate_id)
    for field, value in values.items():
        setattr(copy, field, value)
    copy.version = version
    copy.save()
    return True
