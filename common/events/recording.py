"""Recording events: the change and its outbox row commit in one transaction.

A service declares what it publishes once, at start-up::

    publishes(Client, type_prefix="clients.client", to_data=client_data,
              deleted_when=lambda client: not client.is_active)
    part_of(Address, aggregate=lambda address: address.client)

``publishes`` connects one generic ``post_save``/``post_delete`` receiver per
model. ``part_of`` makes a child's change a change of its aggregate: the
aggregate is saved (its version bumps) and publishes ``updated``.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from common.events.models import OutboxEvent
from common.fastpath.inserts import insert_one
from common.operations import tracing
from common.operations.logging_setup import correlation_id

#: The channel an outbox INSERT notifies (its trigger, migration events 0003, names it
#: too); ``relay_outbox`` LISTENs on it.
NOTIFY_CHANNEL = "common_outbox"
#: Aggregates per transaction when re-publishing many (publish_snapshots).
SNAPSHOT_CHUNK = 500


@dataclass(frozen=True)
class Publication:
    model: type[models.Model]
    type_prefix: str
    to_data: Callable[[Any], dict[str, Any]]
    deleted_when: Callable[[Any], bool] | None
    action: Callable[[Any, bool], str] | None
    repeat_action: Callable[[Any], str] | None = None
    unsettled: models.Q | None = None
    unsettled_due: Callable[[set[Any]], set[Any]] | None = None
    prefetch: tuple[str, ...] = ()
    carried: bool = False

    def event_type(self, instance: Any, *, created: bool, deleted: bool) -> str:
        if deleted or (self.deleted_when is not None and self.deleted_when(instance)):
            action = "deleted"
        elif self.action is not None:
            action = self.action(instance, created)
        else:
            action = "created" if created else "updated"
        return f"{self.type_prefix}.{action}"

    def repeat_type(self, instance: Any) -> str:
        """The type of a re-publication of ``instance``'s current state (not a change)."""
        if self.deleted_when is not None and self.deleted_when(instance):
            return f"{self.type_prefix}.deleted"
        if self.repeat_action is not None:
            return f"{self.type_prefix}.{self.repeat_action(instance)}"
        return f"{self.type_prefix}.updated"


_publications: dict[type[models.Model], Publication] = {}


def publications() -> list[Publication]:
    return list(_publications.values())


def envelope(
    publication: Publication, instance: Any, event_type: str, *, repeat: bool = False
) -> dict[str, Any]:
    """The event of docs/events.md: full state after the change, with the aggregate's version.

    A repeat (``repeat: true``) carries the current state again, not a change: its
    ``occurred_at`` is when that state was reached (the aggregate's ``updated_at``), so
    a consumer that a repeat moves forward knows how long its copy lagged, and its
    ``repeated_at`` is when it was made, so a consumer can tell a repeat made before it
    answered the original (it crossed the answer) from one made after (the answer was
    lost).
    """
    now = timezone.now()
    occurred_at = now
    if repeat:
        occurred_at = getattr(instance, "updated_at", None) or occurred_at
    data = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": settings.SERVICE_NAME,
        "aggregate_id": str(instance.pk),
        "version": instance.version,
        "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
        # The request (or the event being handled) that caused it: one grep follows it.
        "correlation_id": correlation_id(),
        "data": publication.to_data(instance),
        **tracing.envelope_context(),
    }
    if repeat:
        data["repeat"] = True
        data["repeated_at"] = now.isoformat().replace("+00:00", "Z")
    return data


def _require_transaction(sender: type[models.Model], **kwargs: Any) -> None:
    """pre_save/pre_delete guard: refuses the write itself, before anything reaches the table."""
    if kwargs.get("raw") or bookkeeping_only(sender, kwargs.get("update_fields")):
        return
    using = kwargs.get("using") or router.db_for_write(sender)
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError(
            f"{sender.__name__} changed outside transaction.atomic(); its event could be "
            "lost or published for a change that did not commit."
        )


def bookkeeping_only(sender: type[models.Model], update_fields: Any) -> bool:
    """A save of bookkeeping fields alone (``UNVERSIONED_FIELDS``, such as a last login):
    not a change, so it publishes nothing and needs no transaction."""
    return bool(update_fields) and set(update_fields) <= getattr(
        sender, "UNVERSIONED_FIELDS", set()
    )


def _guard(model: type[models.Model], uid: str) -> None:
    pre_save.connect(_require_transaction, sender=model, dispatch_uid=uid, weak=False)
    pre_delete.connect(_require_transaction, sender=model, dispatch_uid=uid, weak=False)


def record(
    publication: Publication, instance: Any, event_type: str, *, repeat: bool = False
) -> OutboxEvent:
    """Writes the outbox row; the relay publishes it once the transaction commits.

    Must run inside the change's transaction (the pre_save guard makes sure).
    On PostgreSQL the INSERT also notifies (a trigger on the outbox table), which
    reaches the relay only when (and if) the transaction commits; nothing is
    published from here.

    A change (not a repeat) whose aggregate's newest outbox row is still pending,
    never claimed by a relay and of the same type replaces that row's event with
    its own (new id, new version, the full state after it) instead of adding one:
    events are whole states, so the newest says all the replaced one did, and an
    aggregate edited many times while its events wait keeps one pending row.
    """
    # A deletion is an aggregate's last event: nothing of the same type waits before it.
    if not repeat and not event_type.endswith(".deleted"):
        collapsed = _collapse(publication, instance, event_type)
        if collapsed is not None:
            return collapsed
    return _record_all(publication, [(instance, event_type)], repeat=repeat)[0]


#: Replaces the event of the aggregate's newest pending row, when no relay has claimed
#: it (a claimed row may be on its way to the broker) and it is a change of the same
#: type. It keeps its id, so its place in the aggregate's order, and its created_at, so
#: the backlog's age still counts from the first change that waited.
_COLLAPSE = """
UPDATE {table} SET event_id = %s, version = %s, envelope = %s
WHERE id = (
    SELECT MAX(id) FROM {table}
    WHERE aggregate_type = %s AND aggregate_id = %s AND sent_at IS NULL
)
AND claimed_until IS NULL AND type = %s AND repeat = %s
RETURNING id
"""


#: What an outbox row replaced by ``_collapse`` is known to hold without a read.
_COLLAPSED = ("event_id", "type", "aggregate_type", "aggregate_id", "version", "envelope", "repeat")


def _collapse(publication: Publication, instance: Any, event_type: str) -> OutboxEvent | None:
    """The replaced row with the new event, or None when there was none to replace."""
    using = router.db_for_write(publication.model)
    connection = connections[using]
    data = envelope(publication, instance, event_type)
    event = OutboxEvent(
        event_id=data["id"],
        type=event_type,
        aggregate_type=publication.type_prefix,
        aggregate_id=data["aggregate_id"],
        version=data["version"],
        envelope=data,
    )
    prepared = {
        name: OutboxEvent._meta.get_field(name).get_db_prep_save(getattr(event, name), connection)
        for name in ("event_id", "version", "envelope", "repeat")
    }
    table = connection.ops.quote_name(OutboxEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            _COLLAPSE.format(table=table),
            [
                prepared["event_id"],
                prepared["version"],
                prepared["envelope"],
                event.aggregate_type,
                event.aggregate_id,
                event_type,
                prepared["repeat"],
            ],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    # The row as saved (loaded, as a read gives it), with the new event.
    known = {"id": found[0], **{name: getattr(event, name) for name in _COLLAPSED}}
    names = [f.attname for f in OutboxEvent._meta.concrete_fields if f.attname in known]
    return OutboxEvent.from_db(using, names, [known[name] for name in names])


def _record_all(
    publication: Publication, changes: list[tuple[Any, str]], *, repeat: bool
) -> list[OutboxEvent]:
    """``record`` of several (instance, event type) pairs: one INSERT."""
    using = router.db_for_write(publication.model)
    events = []
    for instance, event_type in changes:
        data = envelope(publication, instance, event_type, repeat=repeat)
        events.append(
            OutboxEvent(
                event_id=data["id"],
                type=event_type,
                aggregate_type=publication.type_prefix,
                aggregate_id=data["aggregate_id"],
                version=data["version"],
                envelope=data,
                repeat=repeat,
            )
        )
    # On PostgreSQL the table's trigger (migration events 0003) sends the NOTIFY.
    if len(events) == 1:
        insert_one(events[0], using=using)
        return events
    return OutboxEvent.objects.using(using).bulk_create(events)


def record_saved(instances: list[Any], *, created: bool) -> list[OutboxEvent]:
    """The events of a bulk write (``bulk_create``, ``bulk_update`` and ``update_all``
    send no ``post_save``) of aggregates of one model: one INSERT for all of them.

    Call it in the write's transaction, after the write, with the instances as saved
    (primary keys set, versions bumped). Raises RuntimeError outside a transaction.
    """
    if not instances:
        return []
    model = type(instances[0])
    _require_transaction(model)
    publication = publication_of(model)
    models.prefetch_related_objects(instances, *publication.prefetch)
    changes = [
        (instance, publication.event_type(instance, created=created, deleted=False))
        for instance in instances
    ]
    return _record_all(publication, changes, repeat=False)


def republish(instance: Any) -> OutboxEvent:
    """Records ``instance``'s current state again, as a repeat at its current version.

    Consumers that have that version drop it (version gate); one whose copy is
    behind, because an event was lost, catches up. Must run inside a transaction.
    """
    return republish_all([instance])[0]


def republish_all(instances: list[Any]) -> list[OutboxEvent]:
    """``republish`` of several aggregates of one model, in one statement; what their
    events' data reads (the publication's ``prefetch``) is read in one query each."""
    if not instances:
        return []
    publication = publication_of(type(instances[0]))
    models.prefetch_related_objects(instances, *publication.prefetch)
    changes = [(instance, publication.repeat_type(instance)) for instance in instances]
    return _record_all(publication, changes, repeat=True)


def publication_of(model: type[models.Model]) -> Publication:
    """What ``model`` publishes; raises KeyError when it publishes nothing."""
    return _publications[model]


def _on_save(
    sender: type[models.Model], instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:  # loaddata: fixtures are not changes
        return
    if bookkeeping_only(sender, kwargs.get("update_fields")):
        return
    publication = _publications[sender]
    event_type = publication.event_type(instance, created=created, deleted=False)
    if created:  # a new aggregate has no pending event to replace
        _record_all(publication, [(instance, event_type)], repeat=False)
    else:
        record(publication, instance, event_type)


def _on_delete(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    publication = _publications[sender]
    record(publication, instance, publication.event_type(instance, created=False, deleted=True))


def publishes(
    model: type[models.Model],
    *,
    type_prefix: str,
    to_data: Callable[[Any], dict[str, Any]],
    deleted_when: Callable[[Any], bool] | None = None,
    action: Callable[[Any, bool], str] | None = None,
    repeat_action: Callable[[Any], str] | None = None,
    unsettled: models.Q | None = None,
    unsettled_due: Callable[[set[Any]], set[Any]] | None = None,
    prefetch: tuple[str, ...] = (),
    carried: bool = False,
) -> None:
    """Publishes ``<type_prefix>.created|updated|deleted`` for every save and delete.

    ``model`` must have a ``version`` that increases with every save
    (``common.versioning.VersionedModel``). ``deleted_when`` turns a save into
    ``deleted`` (a soft delete, like deactivation); ``action(instance, created)``
    names the event of a save otherwise (e.g. ``finished`` for a status change).
    ``repeat_action(instance)`` names a re-publication of the current state
    (``updated`` by default). ``unsettled`` selects aggregates that wait on another
    service's answer: every anti-entropy sweep re-publishes them, however old their
    last change, until they settle; ``unsettled_due(pks)``, when given, narrows them
    (their primary keys) to those to re-publish now, and the sweep re-publishes the
    others not at all, not even for an event sent in its window, since their answer is
    on its way (a backlog is not asked again at every sweep while it drains).
    ``prefetch`` names the relations ``to_data``
    reads (through ``.all()``), prefetched when many aggregates are re-published.
    ``carried``: some of its changes travel in another aggregate's event (written in
    bulk, which sends no signal, as a reservation's answer carries the products it
    moved); ``model`` then needs an ``updated_at``.
    """
    if not hasattr(model, "version"):
        raise TypeError(f"{model.__name__} needs a version field to publish events")
    _publications[model] = Publication(
        model,
        type_prefix,
        to_data,
        deleted_when,
        action,
        repeat_action,
        unsettled,
        unsettled_due,
        prefetch,
        carried,
    )
    uid = f"common.events.publishes:{model._meta.label}"
    _guard(model, uid)
    post_save.connect(_on_save, sender=model, dispatch_uid=uid, weak=False)
    post_delete.connect(_on_delete, sender=model, dispatch_uid=uid, weak=False)


def part_of(child: type[models.Model], *, aggregate: Callable[[Any], models.Model]) -> None:
    """A save or delete of ``child`` is an ``updated`` of its aggregate."""

    def touch_aggregate(
        sender: type[models.Model], instance: Any, raw: bool = False, **kwargs: Any
    ) -> None:
        if raw:
            return
        held = aggregate(instance)
        # Reload under lock: the child's cached aggregate may be stale, and saving it
        # would write old values back.
        fresh = type(held)._default_manager.select_for_update().filter(pk=held.pk).first()
        if fresh is None:
            return  # a cascade from the aggregate's own delete, which publishes itself
        fresh.save()
        held.version = fresh.version
        held.updated_at = fresh.updated_at

    uid = f"common.events.part_of:{child._meta.label}"
    _guard(child, uid)
    post_save.connect(touch_aggregate, sender=child, dispatch_uid=uid, weak=False)
    post_delete.connect(touch_aggregate, sender=child, dispatch_uid=uid, weak=False)


def snapshot_events(
    model: type[models.Model], *, progress: Callable[[int], None] | None = None
) -> int:
    """Re-records the current state of every ``model`` row (``publish_snapshots``), in
    chunks of ``SNAPSHOT_CHUNK`` aggregates, one transaction and one statement each.

    Each aggregate gets a new event at its current version; consumers that
    already have that version ignore it, a new or wiped consumer rebuilds from it.
    Returns how many events were recorded.
    """
    rows = model._default_manager.order_by("pk").iterator(chunk_size=SNAPSHOT_CHUNK)
    count = 0
    while chunk := list(itertools.islice(rows, SNAPSHOT_CHUNK)):
        with transaction.atomic(using=router.db_for_write(model)):
            republish_all(chunk)
        count += len(chunk)
        if progress is not None:
            progress(count)
    return count
