"""Keeping a local copy of another service's aggregate from its events."""

from __future__ import annotations

from typing import Any

from django.db import models

from common.events.consumer import current_event
from common.events.convergence import note_repair


def apply_if_newer(
    model: type[models.Model], *, aggregate_id: Any, version: int, values: dict[str, Any]
) -> bool:
    """Upserts the copy with ``values`` when ``version`` is newer than the one it has.

    Call it inside the event's transaction (the consumer's handler). Returns
    False, changing nothing, for an event older than or equal to the copy:
    late and out-of-order events never move a copy backwards. A repeat (the
    publisher's anti-entropy sweep) that moves an existing copy forward is
    logged and recorded as a repair: the event it stands in for was lost.
    """
    copy = model._default_manager.select_for_update().filter(pk=aggregate_id).first()
    if copy is not None and copy.version >= version:
        return False
    event = current_event()
    # A copy that a repeat creates is a new or wiped consumer rebuilding, not a repair.
    if copy is not None and event is not None and event.get("repeat"):
        note_repair(event, from_version=copy.version)
    if copy is None:
        copy = model(pk=aggregate_id)
    for field, value in values.items():
        setattr(copy, field, value)
    copy.version = version
    copy.save()
    return True
