"""Keeping a local copy of another service's aggregate from its events.

A copy is a model whose primary key is the aggregate's id and which has a
``version``: an event moves it only forward (newest wins), so late,
repeated and out-of-order events never move a copy backwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models

from common.events.consumer import Handler, handles
from common.events.convergence import note_repair
from common.events.statements import insert_returning_keys
from common.operations import tracing
from common.operations.logging_setup import bind_event

Envelope = dict[str, Any]


@dataclass(frozen=True)
class CopyChange:
    """One event's word on a copy: the aggregate, its version and the copy's fields."""

    aggregate_id: Any
    version: int
    values: dict[str, Any]
    envelope: Envelope


def apply_all_if_newer(
    model: type[models.Model], changes: Sequence[CopyChange]
) -> list[CopyChange]:
    """Applies ``changes`` in order as one at a time would, in two statements: one locks
    the copies that exist (in key order, so two workers never wait on each other in a
    circle), one upserts each copy's newest state, its database row guarded by
    ``version`` so that a copy another worker created meanwhile still ends newest.
    Returns the changes applied.

    A repeat (the publisher's anti-entropy sweep) that moves an existing copy
    forward is logged and recorded as a repair: the event it stands in for was
    lost. A copy that a repeat creates is a new or wiped consumer rebuilding.
    Call it inside the events' transaction.
    """
    pk = model._meta.pk
    keyed = [(pk.to_python(change.aggregate_id), change) for change in changes]
    current: dict[Any, int] = dict(
        model._default_manager.select_for_update()
        .filter(pk__in={key for key, _ in keyed})
        .order_by("pk")
        .values_list("pk", "version")
    )
    newest: dict[Any, CopyChange] = {}
    applied: list[tuple[Any, CopyChange]] = []
    for key, change in keyed:
        before = current.get(key)
        if before is not None and before >= change.version:
            continue
        if before is not None and change.envelope.get("repeat"):
            note_repair(change.envelope, from_version=before)
        current[key] = change.version
        newest[key] = change
        applied.append((key, change))
    if not newest:
        return []
    written = _upsert_newer(model, [newest[key] for key in sorted(newest)])
    return [change for key, change in applied if key in written]


def _upsert_newer(model: type[models.Model], changes: list[CopyChange]) -> set[Any]:
    """``INSERT ... ON CONFLICT DO UPDATE ... WHERE version is older``; the keys written."""
    instances = [
        model(pk=change.aggregate_id, version=change.version, **change.values) for change in changes
    ]
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    # What an event says, and a last-synced stamp (auto_now); never what only creation sets.
    updated = [
        field
        for field in fields
        if not field.primary_key
        and (
            field.name in changes[0].values
            or field.name == "version"
            or getattr(field, "auto_now", False)
        )
    ]
    rows = [{field.name: field.pre_save(copy, add=True) for field in fields} for copy in instances]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in updated)
    version = quote(model._meta.get_field("version").column)
    return insert_returning_keys(
        model,
        fields,
        rows,
        on_conflict=f"DO UPDATE SET {assignments} WHERE {{table}}.{version} < EXCLUDED.{version}",
    )


def _not_stale_repeats(model: type[models.Model], envelopes: list[Envelope]) -> list[Envelope]:
    """The envelopes less the repeats (the publisher's sweep) whose copy is already at
    their version or newer, found in one read of the copies' versions; originals are
    all kept (no read: a run of them is what a busy consumer applies).

    A copy only moves forward, so a repeat declined on a version read before another
    worker's commit is still covered by that newer version. A sweep re-publishes every
    aggregate that changed in its last two intervals, so nearly all its repeats are of
    copies already there; declined here, they cost no transaction, no inbox row and no
    lock, and the answers queued behind them wait for a read instead of a transaction
    per hundred."""
    repeats = {str(envelope["aggregate_id"]) for envelope in envelopes if envelope.get("repeat")}
    if not repeats:
        return envelopes
    pk = model._meta.pk
    current = {
        str(key): version
        for key, version in model._default_manager.filter(
            pk__in=[pk.to_python(key) for key in repeats]
        ).values_list("pk", "version")
    }
    return [
        envelope
        for envelope in envelopes
        if not envelope.get("repeat")
        or current.get(str(envelope["aggregate_id"]), -1) < envelope["version"]
    ]


def copies(
    model: type[models.Model],
    *event_types: str,
    after: Callable[[list[Envelope]], None] | None = None,
) -> Callable[[Callable[[Envelope], dict[str, Any]]], Handler]:
    """Registers the decorated function, which turns an event into its copy's field
    values, as the handler of ``event_types``: ``model`` keeps the copy, newest wins.

    In a batch, the consumer hands a run of these events over at once
    (``apply_many``): two statements for the run, whatever its length. Before that,
    the repeats of copies already at their version are declined in one read
    (``wants_many``). ``after`` receives the events that moved a copy, inside the same
    transaction.
    """

    def register(values_of: Callable[[Envelope], dict[str, Any]]) -> Handler:
        def change_of(envelope: Envelope) -> CopyChange:
            with bind_event(envelope), tracing.event_span(envelope, "apply"):
                values = values_of(envelope)
            return CopyChange(envelope["aggregate_id"], envelope["version"], values, envelope)

        def apply_many(envelopes: list[Envelope]) -> None:
            applied = apply_all_if_newer(model, [change_of(envelope) for envelope in envelopes])
            if applied and after is not None:
                after([change.envelope for change in applied])

        def handler(envelope: Envelope) -> None:
            apply_many([envelope])

        def wants_many(envelopes: list[Envelope]) -> list[Envelope]:
            return _not_stale_repeats(model, envelopes)

        handler.apply_many = apply_many  # type: ignore[attr-defined]
        handler.wants_many = wants_many  # type: ignore[attr-defined]
        handler.__qualname__ = values_of.__qualname__
        return handles(*event_types)(handler)

    return register
