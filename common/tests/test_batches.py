"""Events at scale: the relay wakes on commit, events travel and apply in batches,
competing relays and workers keep every effect once and newest-wins, housekeeping."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.events import recording, relay, transport, waiting
from common.events.consumer import process_batch
from common.events.housekeeping import prune_inbox, prune_outbox
from common.events.models import DeadLetter, InboxEvent, OutboxEvent
from common.events.snapshots import CopyChange, _upsert_newer
from common.models import IdempotencyRecord
from common.operations import housekeeping, scheduler
from common.tests.conftest import QUEUE, drain_events, queued_messages, wait_until
from common.tests.testapp.models import Switch, Widget, WidgetApplication, WidgetCopy

pytestmark = pytest.mark.django_db(transaction=True)


def _create(name: str) -> Widget:
    with transaction.atomic():
        return Widget.objects.create(name=name)


def _relay_all() -> int:
    total = 0
    while published := relay.relay_pending():
        total += published
    return total


def _relay_loop(stop: threading.Event, **kwargs: object) -> threading.Thread:
    def run() -> None:
        try:
            relay.run(stop=stop, log=lambda line: None, **kwargs)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _sent(widget: Widget) -> bool:
    return OutboxEvent.objects.filter(aggregate_id=str(widget.pk), sent_at__isnull=False).exists()


def _applied_twice() -> list[dict]:
    return list(
        WidgetApplication.objects.values("widget_id", "version")
        .annotate(times=Count("id"))
        .filter(times__gt=1)
    )


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's"
)


# the relay wakes on commit -------------------------------------------------------------


@needs_postgres
def test_a_commit_wakes_the_relay_at_once(broker_url):
    stop = threading.Event()
    loop = _relay_loop(stop, poll_interval=30.0)  # only a notification can be quick
    try:
        time.sleep(0.5)  # listening, idle
        started = time.monotonic()
        widget = _create("notified")
        wait_until(lambda: _sent(widget), 5, "published on the notification")
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        loop.join(35)


@needs_postgres
def test_while_events_keep_coming_the_relay_lingers_so_they_share_a_message(broker_url):
    stop = threading.Event()
    loop = _relay_loop(stop, poll_interval=30.0, linger=0.5)
    try:
        time.sleep(0.5)  # listening, idle
        started = time.monotonic()
        first = _create("first")
        wait_until(lambda: _sent(first), 5, "the first commit after a quiet spell")
        assert time.monotonic() - started < 0.45  # it did not linger
        second = _create("second")  # wakes the relay, which lingers for ...
        time.sleep(0.1)
        third = _create("third")  # ... this one
        wait_until(lambda: _sent(second) and _sent(third), 5, "both published")
    finally:
        stop.set()
        loop.join(35)
    sent = [(task, len(events)) for task, events in drain_events(broker_url)]
    assert sent == [("events.handle", 1), ("events.handle_batch", 2)]


@needs_postgres
def test_a_lost_notification_costs_one_poll(broker_url, monkeypatch):
    monkeypatch.setattr(relay, "NOTIFY_CHANNEL", "nobody_notifies_here")  # hears nothing
    stop = threading.Event()
    loop = _relay_loop(stop, poll_interval=1.0)
    try:
        time.sleep(0.5)
        widget = _create("unnotified")
        wait_until(lambda: _sent(widget), 4, "published by the poll")
    finally:
        stop.set()
        loop.join(10)


def _direct_url() -> str:
    """A URL of the test database, as <SERVICE>_DIRECT_DATABASE_URL would name it."""
    params = connection.settings_dict
    return (
        f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
        f"/{params['NAME']}"
    )


@needs_postgres
def test_behind_a_transaction_pooler_the_relay_listens_on_its_direct_url(settings):
    settings.DATABASE_POOL_MODE = "transaction"
    settings.EVENTS_LISTEN_DATABASE_URL = _direct_url()
    wakeup, stop = relay.Wakeup(), threading.Event()
    wakeup.wait(0.01, stop)  # listening from now on, on a connection of its own
    threading.Timer(0.3, lambda: _create("pooled")).start()
    started = time.monotonic()
    try:
        wakeup.wait(10, stop)
    finally:
        wakeup.close()
    assert time.monotonic() - started < 5  # woken by the commit, not the 10 s poll


@needs_postgres
def test_behind_a_transaction_pooler_without_a_direct_url_the_relay_only_polls(settings):
    settings.DATABASE_POOL_MODE = "transaction"
    settings.EVENTS_LISTEN_DATABASE_URL = None
    wakeup, stop = relay.Wakeup(), threading.Event()
    threading.Timer(0.1, lambda: _create("unheard")).start()
    started = time.monotonic()
    wakeup.wait(1.0, stop)
    assert time.monotonic() - started >= 1.0  # no LISTEN through the pooler


def test_the_request_publishes_nothing(broker_url):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        Widget.objects.create(name="quiet")
    assert OutboxEvent.objects.get().sent_at is None
    assert queued_messages(broker_url) == 0
    # the row, its parts (the event's data), its event; the outbox table's trigger notifies
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["INSERT", "SELECT", "INSERT"]


@needs_postgres
def test_an_outbox_insert_notifies_once_per_transaction_and_only_on_commit():
    with psycopg.connect(_direct_url(), autocommit=True) as listener:
        listener.execute(f"LISTEN {recording.NOTIFY_CHANNEL}")

        def heard() -> list[str]:
            return [n.channel for n in listener.notifies(timeout=0.5, stop_after=5)]

        with transaction.atomic():
            Widget.objects.create(name="one")
            Widget.objects.create(name="two")
            assert heard() == []  # not before the commit
        assert heard() == [recording.NOTIFY_CHANNEL]  # one for the transaction
        with transaction.atomic():
            Widget.objects.create(name="undone")
            transaction.set_rollback(True)
        assert heard() == []


# batches on the way ---------------------------------------------------------------------


def test_a_pass_claims_100_and_sends_runs_of_one_type_as_one_message(broker_url):
    widgets = [_create(f"b{n}") for n in range(150)]
    with transaction.atomic():
        widgets[0].name = "b0-renamed"
        widgets[0].save()
    with CaptureQueriesContext(connection) as queries:
        assert relay.relay_pending() == 100
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]
    # Claimed (leased) in one statement, marked sent in another, each its own transaction.
    assert len(statements) == 2
    assert all("UPDATE" in statement for statement in statements), statements
    assert relay.relay_pending() == 51
    sent = [(task, len(events)) for task, events in drain_events(broker_url)]
    assert sent == [("events.handle_batch", 100), ("events.handle_batch", 50), ("events.handle", 1)]


def test_a_batch_stays_under_256_kib():
    rows = [
        OutboxEvent(type="t.x.updated", envelope={"id": str(n), "data": "x" * 100_000})
        for n in range(5)
    ]
    assert [len(batch) for batch in relay.batches(rows)] == [2, 2, 1]


def _row(n, event_type, aggregate):
    return OutboxEvent(
        id=n,
        type=event_type,
        aggregate_type="t.x",
        aggregate_id=aggregate,
        envelope={"id": str(n), "type": event_type},
    )


def test_interleaved_types_of_different_aggregates_cost_a_message_per_type():
    # Orders placed while others' answers come back: created, updated, created, ...
    rows = [_row(n, "t.x.created" if n % 2 else "t.x.updated", f"a{n}") for n in range(1, 11)]
    assert [[row.pk for row in batch] for batch in relay.batches(rows)] == [
        [1, 3, 5, 7, 9],
        [2, 4, 6, 8, 10],
    ]


def test_an_aggregates_events_leave_in_order_across_messages():
    rows = [
        _row(1, "t.x.updated", "a"),
        _row(2, "t.x.finished", "a"),
        _row(3, "t.x.updated", "b"),  # joins the first message: b has no earlier event
        _row(4, "t.x.updated", "a"),  # after a's finished: a message after it
        _row(5, "t.x.finished", "b"),  # after b's update in the first: joins the second
        _row(6, "t.x.updated", "c"),  # joins the last message of its type
    ]
    messages = [[row.pk for row in batch] for batch in relay.batches(rows)]
    assert messages == [[1, 3], [2, 5], [4, 6]]
    sent = [pk for message in messages for pk in message]
    for aggregate in "abc":
        mine = [row.pk for row in rows if row.aggregate_id == aggregate]
        assert [pk for pk in sent if pk in mine] == mine


def test_a_full_message_of_a_type_starts_another():
    rows = [_row(n, "t.x.updated", f"a{n}") for n in range(relay.BATCH_EVENTS + 1)]
    assert [len(batch) for batch in relay.batches(rows)] == [relay.BATCH_EVENTS, 1]


# batches at the consumer ----------------------------------------------------------------


def test_a_batch_applies_in_one_transaction_with_its_inbox_rows_in_one_statement():
    for n in range(20):
        _create(f"c{n}")
    envelopes = [event.envelope for event in OutboxEvent.objects.order_by("id")]
    with CaptureQueriesContext(connection) as queries:
        assert process_batch(envelopes) == 20
    inbox_inserts = [q for q in queries.captured_queries if "common_inboxevent" in q["sql"]]
    assert len(inbox_inserts) == 1
    assert WidgetCopy.objects.count() == 20
    # Delivered again (a worker died before acknowledging): nothing applies twice.
    assert process_batch(envelopes) == 0
    assert WidgetApplication.objects.count() == 20


def test_a_run_of_copies_costs_the_same_few_statements_whatever_its_length():
    def statements(count: int, prefix: str) -> int:
        for n in range(count):
            _create(f"{prefix}{n}")
        envelopes = [
            event.envelope
            for event in OutboxEvent.objects.filter(
                envelope__data__name__startswith=prefix
            ).order_by("id")
        ]
        with CaptureQueriesContext(connection) as queries:
            assert process_batch(envelopes) == count
        return len(queries.captured_queries)

    # inbox, lock the copies, upsert them, the handler's own effect; and the transaction
    few, many = statements(2, "few"), statements(100, "many")
    assert few == many <= 6, (few, many)
    assert WidgetCopy.objects.count() == WidgetApplication.objects.count() == 102


def test_a_batch_moves_each_copy_only_forward_as_one_event_at_a_time_would():
    widget = _create("first")
    for quantity in (1, 2, 3):
        # As if relayed: a change whose event still waits would replace it.
        OutboxEvent.objects.update(sent_at=timezone.now())
        widget.quantity = quantity
        with transaction.atomic():
            widget.save()
    v1, v2, v3, v4 = [e.envelope for e in OutboxEvent.objects.order_by("version", "id")]
    assert [v1["version"], v4["version"]] == [1, 4]
    assert process_batch([v2]) == 1
    # v1 and v2 late, v4 before v3: each event once, the copy at v4, effects of v2 and v4.
    assert process_batch([v1, v4, v2, v3]) == 3
    copy = WidgetCopy.objects.get(pk=widget.pk)
    assert (copy.version, copy.quantity) == (4, 3)
    assert sorted(WidgetApplication.objects.values_list("version", flat=True)) == [2, 4]


def test_a_copy_written_meanwhile_at_a_newer_version_is_not_overwritten():
    # Another worker creates the copy between this one's lock (none to lock) and its
    # upsert: the version guard in the statement keeps the newer one.
    widget = _create("raced")
    envelope = OutboxEvent.objects.get(aggregate_id=str(widget.pk)).envelope
    WidgetCopy.objects.create(pk=widget.pk, name="newer", quantity=9, version=7)
    change = CopyChange(widget.pk, 1, {"name": "raced", "quantity": 0}, envelope)
    assert _upsert_newer(WidgetCopy, [change]) == set()
    assert WidgetCopy.objects.get(pk=widget.pk).name == "newer"
    assert _upsert_newer(
        WidgetCopy, [CopyChange(widget.pk, 8, {"name": "x", "quantity": 1}, envelope)]
    ) == {widget.pk}
    assert WidgetCopy.objects.get(pk=widget.pk).name == "x"


def test_a_failing_batch_rolls_back_whole():
    envelopes = [OutboxEvent.objects.get(aggregate_id=str(_create(n).pk)).envelope for n in "ab"]
    envelopes.insert(1, OutboxEvent.objects.get(aggregate_id=str(_create("explode").pk)).envelope)
    with pytest.raises(Exception, match="exploded"):
        process_batch(envelopes)
    assert not InboxEvent.objects.exists()
    assert not WidgetCopy.objects.exists()


def test_a_poison_event_in_a_batch_of_50_is_parked_alone_and_replayed(broker_url, start_worker):
    widgets = [_create("explode" if n == 25 else f"p{n}") for n in range(50)]
    assert _relay_all() == 50
    assert [(task, len(batch)) for task, batch in _peek(broker_url)] == [
        ("events.handle_batch", 50)
    ]
    start_worker(broker_url, EVENTS_MAX_ATTEMPTS="3", EVENTS_RETRY_BASE_SECONDS="0.1")
    wait_until(lambda: DeadLetter.objects.exists(), 30, "the poison event is parked")
    wait_until(lambda: WidgetApplication.objects.count() == 49, 30, "its neighbours apply")
    letter = DeadLetter.objects.get()
    assert (letter.attempts, letter.envelope["data"]["name"]) == (3, "explode")
    Switch.objects.create(name="explode-fixed")
    call_command("replay_dead_letters")
    assert WidgetApplication.objects.count() == 50
    assert set(WidgetCopy.objects.values_list("pk", flat=True)) == {w.pk for w in widgets}
    assert _applied_twice() == []


def _peek(url: str) -> list[tuple[str, list[dict]]]:
    """What is queued, put back for the worker: taken off and published again as is."""
    taken = drain_events(url)
    for _task, envelopes in taken:
        transport.publisher().publish(envelopes)
    return taken


@pytest.mark.parametrize("sent", ["in one batch", "a message each"])
def test_a_worker_killed_in_the_middle_of_a_batch_applies_each_event_once(
    broker_url, start_worker, tmp_path, sent
):
    widgets = [_create("slow" if n == 15 else f"k{n}") for n in range(30)]
    if sent == "in one batch":
        assert _relay_all() == 30
    else:  # the worker takes the 29 waiting behind the first (ADR 0153) and holds them
        _publish_each(widgets)
    worker = start_worker(broker_url, EVENTS_VISIBILITY_TIMEOUT="3")
    wait_until(lambda: (tmp_path / "slow-started").exists(), 20, "the batch is half applied")
    assert queued_messages(broker_url) == 0
    worker.kill()
    assert WidgetApplication.objects.count() == 0  # one transaction: nothing committed
    start_worker(broker_url, EVENTS_VISIBILITY_TIMEOUT="3")
    # Redelivery takes the visibility timeout, kombu's restore sweep (5 s) and, if the
    # killed worker held the restore lock, its expiry (10 s), after a worker's start
    # (30 s and more on a busy two-core machine).
    wait_until(lambda: WidgetApplication.objects.count() == 30, 120, "redelivered and applied")
    assert _applied_twice() == []
    assert InboxEvent.objects.count() == 30


def test_an_old_publisher_and_a_new_one_side_by_side(broker_url, start_worker):
    old = [_create(f"old{n}") for n in range(3)]
    for widget in old:  # a publisher of before batches: one events.handle per event
        event = OutboxEvent.objects.get(aggregate_id=str(widget.pk))
        transport.publisher().publish([event.envelope])
        OutboxEvent.objects.filter(pk=event.pk).update(sent_at=timezone.now())
    new = [_create(f"new{n}") for n in range(5)]
    assert _relay_all() == 5
    assert [task for task, _ in _peek(broker_url)] == ["events.handle"] * 3 + [
        "events.handle_batch"
    ]
    start_worker(broker_url)
    wait_until(lambda: WidgetApplication.objects.count() == 8, 30, "both kinds applied")
    assert set(WidgetCopy.objects.values_list("pk", flat=True)) == {w.pk for w in old + new}


# competing relays and workers ----------------------------------------------------------


@pytest.mark.parametrize("broker_url", ["redis"], indirect=True)
def test_two_relays_and_two_workers_on_2000_changes_to_50_aggregates(broker_url, start_worker):
    widgets = [_create(f"c{n}").pk for n in range(50)]
    start_worker(broker_url)
    start_worker(broker_url)
    stops = [threading.Event(), threading.Event()]
    loops = [_relay_loop(stop, poll_interval=0.05) for stop in stops]

    def change(share: list[int]) -> None:
        try:
            for n in range(1000):
                with transaction.atomic():
                    widget = Widget.objects.select_for_update().get(pk=share[n % len(share)])
                    widget.quantity += 1
                    widget.save()
        finally:
            connections.close_all()

    producers = [threading.Thread(target=change, args=(widgets[half::2],)) for half in range(2)]
    try:
        for thread in producers:
            thread.start()
        for thread in producers:
            thread.join()

        def converged() -> bool:
            copies = dict(WidgetCopy.objects.values_list("pk", "version"))
            return all(
                copies.get(pk) == version
                for pk, version in Widget.objects.values_list("pk", "version")
            )

        wait_until(converged, 120, "every copy at its widget's newest version")
    finally:
        for stop in stops:
            stop.set()
        for loop in loops:
            loop.join(10)
    assert Widget.objects.filter(version=41).count() == 50  # created + 40 changes each
    assert _applied_twice() == []
    # A change whose aggregate's event still waited replaced it: at most one row each.
    assert InboxEvent.objects.count() == OutboxEvent.objects.count() <= 2050


# housekeeping -----------------------------------------------------------------------------


def test_pruning_deletes_old_rows_in_chunks_and_keeps_the_rest(settings):
    settings.EVENTS_OUTBOX_KEEP_DAYS = 7
    settings.EVENTS_INBOX_KEEP_DAYS = 30
    settings.IDEMPOTENCY_KEY_HOURS = 24
    now = timezone.now()
    for n in range(5):
        _create(f"h{n}")
    rows = list(OutboxEvent.objects.order_by("id"))
    OutboxEvent.objects.filter(pk__in=[r.pk for r in rows[:3]]).update(
        sent_at=now - timedelta(days=8)
    )
    OutboxEvent.objects.filter(pk=rows[3].pk).update(sent_at=now - timedelta(days=6))
    old_pending = rows[4]  # never sent, however old: kept
    OutboxEvent.objects.filter(pk=old_pending.pk).update(created_at=now - timedelta(days=60))
    for days in (31, 31, 1):
        event_id = uuid.uuid4()
        InboxEvent.objects.create(
            event_id=event_id, type="t", source="s", aggregate_id="1", version=1
        )
        InboxEvent.objects.filter(pk=event_id).update(received_at=now - timedelta(days=days))
    for hours in (25, 2):
        record = IdempotencyRecord.objects.create(
            principal="p", path=f"/{hours}", key="k", fingerprint="f"
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            created_at=now - timedelta(hours=hours)
        )
    with CaptureQueriesContext(connection) as queries:
        assert (
            housekeeping.delete_in_chunks(
                OutboxEvent.objects.filter(sent_at__lt=now - timedelta(days=7)), chunk=2
            )
            == 3
        )
    assert sum(q["sql"].startswith("DELETE") for q in queries.captured_queries) == 2
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {rows[3].pk, old_pending.pk}
    assert prune_inbox() == 2
    assert InboxEvent.objects.count() == 1
    assert housekeeping.prune_idempotency_keys() == 1
    assert IdempotencyRecord.objects.get().path == "/2"
    assert prune_outbox() == 0


def test_the_scheduler_runs_the_sweep_and_the_housekeeping_of_what_the_service_has():
    assert [job.name for job in scheduler.jobs()] == [
        "sweep",
        "prune_outbox",
        "prune_inbox",
        "confirm_repairs",
        "prune_idempotency_keys",
        "prune_revocations",
    ]
    assert scheduler.run_due(log=lambda line: None) == [job.name for job in scheduler.jobs()]
    assert scheduler.run_due(log=lambda line: None) == []  # each once per interval


def test_a_handlers_prepare_batch_sees_all_its_events_before_any_is_applied(monkeypatch):
    # products_api locks every product a batch of finished orders touches there, in
    # one sorted statement: locking event by event, crossing batches deadlock.
    from common.events import consumer

    calls: list[tuple[str, list[str]]] = []

    def handler(envelope: dict) -> None:
        calls.append(("apply", [envelope["id"]]))

    handler.prepare_batch = lambda envelopes: calls.append(  # type: ignore[attr-defined]
        ("prepare", [envelope["id"] for envelope in envelopes])
    )
    monkeypatch.setitem(consumer._handlers, "test.prepared", handler)
    events = [
        {"id": str(uuid.uuid4()), "type": kind, "aggregate_id": "1", "version": 1, "data": {}}
        for kind in ("test.prepared", "test.nobody", "test.prepared")
    ]
    assert process_batch(events) == 2
    first, _, third = (event["id"] for event in events)
    assert calls == [("prepare", [first, third]), ("apply", [first]), ("apply", [third])]


def test_a_lone_event_is_applied_unprepared(monkeypatch):
    # Its handler locks in the batch's order itself: preparing would lock twice.
    from common.events import consumer

    calls: list[str] = []
    handler = lambda envelope: calls.append("apply")  # noqa: E731
    handler.prepare_batch = lambda envelopes: calls.append("prepare")  # type: ignore[attr-defined]
    monkeypatch.setitem(consumer._handlers, "test.prepared", handler)
    event = {"id": str(uuid.uuid4()), "type": "test.prepared", "aggregate_id": "1", "version": 1}
    assert process_batch([dict(event, data={})]) == 1
    assert calls == ["apply"]


def test_a_handlers_wants_many_sees_its_events_at_once_and_what_it_declines_costs_nothing(
    monkeypatch,
):
    from common.events import consumer

    seen: list[list[str]] = []
    applied: list[str] = []

    def handler(envelope: dict) -> None:
        applied.append(envelope["id"])

    def wants_many(envelopes: list[dict]) -> list[dict]:
        seen.append([envelope["id"] for envelope in envelopes])
        return [envelope for envelope in envelopes if envelope["data"]["needed"]]

    handler.wants_many = wants_many  # type: ignore[attr-defined]
    monkeypatch.setitem(consumer._handlers, "test.sifted", handler)
    events = [
        {
            "id": str(uuid.uuid4()),
            "type": kind,
            "aggregate_id": "1",
            "version": 1,
            "data": {"needed": needed},
        }
        for kind, needed in (
            ("test.sifted", False),
            ("test.nobody", True),
            ("test.sifted", True),
            ("test.sifted", False),
        )
    ]
    assert process_batch(events) == 1
    ids = [event["id"] for event in events]
    assert seen == [[ids[0], ids[2], ids[3]]]  # once, in order, only its own
    assert applied == [ids[2]]
    assert list(InboxEvent.objects.values_list("event_id", flat=True)) == [uuid.UUID(ids[2])]
    # Nothing wanted: no transaction at all.
    with CaptureQueriesContext(connection) as queries:
        assert process_batch([events[0], events[3]]) == 0
    assert not queries.captured_queries


def test_a_sweeps_repeats_of_copies_already_there_cost_one_read_and_no_inbox_row():
    widgets = [_create(f"swept{n}") for n in range(30)]
    originals = [event.envelope for event in OutboxEvent.objects.order_by("id")]
    assert process_batch(originals) == 30
    inbox = InboxEvent.objects.count()

    def repeat_of(envelope: dict) -> dict:
        return {**envelope, "id": str(uuid.uuid4()), "repeat": True}

    with CaptureQueriesContext(connection) as queries:
        assert process_batch([repeat_of(envelope) for envelope in originals]) == 0
    assert len(queries.captured_queries) == 1  # the copies' versions; no transaction
    assert InboxEvent.objects.count() == inbox
    # A repeat of a newer version (its original lost) and one of a copy this consumer
    # never had (rebuilding) still apply, beside stale ones; so do originals.
    lost = widgets[0]
    lost.quantity = 5
    with transaction.atomic():
        lost.save()
    newer = OutboxEvent.objects.get(aggregate_id=str(lost.pk), version=2).envelope
    WidgetCopy.objects.filter(pk=widgets[1].pk).delete()
    batch = [repeat_of(newer), repeat_of(originals[1]), repeat_of(originals[2]), originals[3]]
    assert process_batch(batch) == 2  # the original was applied already: a duplicate
    assert WidgetCopy.objects.get(pk=lost.pk).version == 2
    assert WidgetCopy.objects.get(pk=widgets[1].pk).version == 1
    assert InboxEvent.objects.count() == inbox + 2


# the messages waiting behind the running one are applied with it (ADR 0152) -------------


def _publish_each(widgets: list[Widget]) -> list[str]:
    """Each widget's event in a message of its own, as a relay at a steady rate sends
    them; returns the event ids in publish order."""
    ids = []
    for widget in widgets:
        event = OutboxEvent.objects.get(aggregate_id=str(widget.pk))
        transport.publisher().publish([event.envelope])
        OutboxEvent.objects.filter(pk=event.pk).update(sent_at=timezone.now())
        ids.append(str(event.event_id))
    return ids


def test_the_waiting_messages_are_taken_oldest_first_and_acknowledged(broker_url):
    ids = _publish_each([_create(f"t{n}") for n in range(3)])
    assert _relay_all() == 0
    batch = [_create("b0"), _create("b1")]
    assert _relay_all() == 2  # one events.handle_batch of two
    ids += [str(OutboxEvent.objects.get(aggregate_id=str(w.pk)).event_id) for w in batch]
    try:
        taken = waiting.take_waiting(queue=QUEUE, events=1)
        assert [envelope["id"] for envelope in taken.envelopes] == ids
        assert len(taken.messages) == 4
        assert queued_messages(broker_url) == 0
        taken.acknowledge()
    finally:
        waiting.close()
    assert queued_messages(broker_url) == 0
    assert waiting.take_waiting(queue=QUEUE, events=1).messages == []


@pytest.mark.parametrize("broker_url", ["redis"], indirect=True)  # RabbitMQ: one queue
def test_on_redis_finding_the_queue_empty_costs_one_round_trip(broker_url):
    import redis

    server = redis.Redis.from_url(broker_url)

    def pops() -> int:
        return server.info("commandstats").get("cmdstat_rpop", {}).get("calls", 0)

    try:
        waiting.take_waiting(queue=QUEUE, events=1)  # connects and finds it empty
        before = pops()
        assert waiting.take_waiting(queue=QUEUE, events=1).messages == []
        assert pops() - before == 1  # kombu's four priority steps made it four
    finally:
        waiting.close()
        server.close()


def test_taken_messages_given_back_are_queued_again(broker_url):
    _publish_each([_create(f"g{n}") for n in range(3)])
    try:
        taken = waiting.take_waiting(queue=QUEUE, events=1)
        assert len(taken.messages) == 3
        taken.give_back()
    finally:
        waiting.close()
    assert queued_messages(broker_url) == 3


def test_the_taking_stops_at_the_limits(broker_url, settings):
    _publish_each([_create(f"l{n}") for n in range(6)])
    settings.EVENTS_TAKE_WAITING_MESSAGES = 2
    try:
        assert len(waiting.take_waiting(queue=QUEUE, events=1).messages) == 2
        settings.EVENTS_TAKE_WAITING_MESSAGES = 50
        settings.EVENTS_TAKE_WAITING_EVENTS = 4
        assert len(waiting.take_waiting(queue=QUEUE, events=1).messages) == 3
        settings.EVENTS_TAKE_WAITING_MESSAGES = 0
        assert waiting.take_waiting(queue=QUEUE, events=1).messages == []
    finally:
        waiting.close()  # what was taken and not acknowledged goes back


def test_a_retry_waiting_is_put_back_and_ends_the_taking(broker_url):
    first, second = _create("r0"), _create("r1")
    _publish_each([first])
    retry = OutboxEvent.objects.get(aggregate_id=str(second.pk)).envelope
    transport._message_app.send_task(
        transport.TASK_NAME,
        args=[retry],
        countdown=60,
        retries=1,
        producer=transport.publisher()._connect(),
        queue=QUEUE,  # as a handler's retry is sent: to this queue alone
        exchange="",
        routing_key=QUEUE,
        retry=False,
        add_to_parent=False,
    )
    _publish_each([second])
    try:
        taken = waiting.take_waiting(queue=QUEUE, events=1)
        assert len(taken.messages) == 1  # the first; the retry went back, and ended it
        taken.acknowledge()
    finally:
        waiting.close()
    assert sorted(task for task, _ in drain_events(broker_url)) == ["events.handle"] * 2


@pytest.mark.parametrize("take", ["50", "0"])
def test_a_worker_applies_the_messages_waiting_behind_one_in_its_transaction(
    broker_url, start_worker, take
):
    widgets = [_create(f"w{n}") for n in range(20)]
    _publish_each(widgets)
    start_worker(broker_url, EVENTS_TAKE_WAITING_MESSAGES=take)
    wait_until(lambda: WidgetApplication.objects.count() == 20, 60, "every event applied")
    assert _applied_twice() == []
    # A transaction's inbox rows share their received_at.
    transactions = InboxEvent.objects.values("received_at").distinct().count()
    if take == "0":  # the switch off: a transaction per message
        assert transactions == 20
    else:  # the worker's first message takes the other 19
        assert transactions <= 3  # the worker may have fetched a second itself
