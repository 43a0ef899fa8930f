"""The event backbone's promises, against real brokers (Redis and RabbitMQ) and processes.

Every committed change reaches the consumer exactly once in effect; a rolled
back change never does; broker outages, killed relays, killed workers, late
or reordered events and Redis restarts lose nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.events import relay, topology
from common.events.consumer import process_event
from common.events.models import DeadLetter, InboxEvent, OutboxEvent
from common.events.recording import (
    envelope,
    publications,
    republish,
)
from common.tests.conftest import REPO, process_env, queued_messages, wait_until
from common.tests.testapp.models import (
    Switch,
    Widget,
    WidgetApplication,
    WidgetCopy,
    WidgetPart,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _create(name: str = "w", quantity: int = 1) -> Widget:
    with transaction.atomic():
        return Widget.objects.create(name=name, quantity=quantity)


def _relay_all() -> int:
    total = 0
    while published := relay.relay_pending():
        total += published
    return total


def _in_thread(function):
    """Runs ``function`` and closes the thread's database connections afterwards."""

    def run(**kwargs):
        try:
            return function(**kwargs)
        finally:
            connections.close_all()

    return run


def _applied(widget: Widget) -> list[int]:
    return list(
        WidgetApplication.objects.filter(widget_id=widget.pk)
        .order_by("version")
        .values_list("version", flat=True)
    )


# 1 -----------------------------------------------------------------------------------


def test_rolled_back_change_publishes_nothing_committed_one_is_delivered_once(
    broker_url, start_worker
):
    with pytest.raises(RuntimeError), transaction.atomic():
        Widget.objects.create(name="ghost")
        raise RuntimeError("the request failed after the write")
    assert not OutboxEvent.objects.exists()

    widget = _create("real")
    event = OutboxEvent.objects.get()
    assert event.sent_at is None  # nothing is published inside the request
    assert _relay_all() == 1
    event.refresh_from_db()
    assert event.sent_at is not None
    assert event.envelope["type"] == "testapp.widget.created"
    assert queued_messages(broker_url) == 1
    start_worker(broker_url)
    wait_until(lambda: _applied(widget) == [1], 20, "the event is applied")
    assert WidgetCopy.objects.get(pk=widget.pk).name == "real"
    assert not WidgetCopy.objects.filter(name="ghost").exists()


def test_the_envelope_is_designs():
    widget = _create("shape", 4)
    with transaction.atomic():
        WidgetPart.objects.create(widget=widget, label="bolt")
    created, updated = OutboxEvent.objects.order_by("id")
    assert set(created.envelope) == {
        "id",
        "type",
        "source",
        "aggregate_id",
        "version",
        "occurred_at",
        "correlation_id",
        "data",
    }
    assert created.envelope["correlation_id"] is None  # made outside any request
    assert created.envelope["source"] == "common_tests"
    assert created.envelope["aggregate_id"] == str(widget.pk)
    assert created.envelope["occurred_at"].endswith("Z")
    uuid.UUID(created.envelope["id"])
    # A part's change is an update of its widget, with the full state and the next version.
    assert (updated.type, updated.version) == ("testapp.widget.updated", 2)
    assert updated.envelope["data"]["parts"] == ["bolt"]
    with transaction.atomic():
        widget.refresh_from_db()
        widget.is_active = False
        widget.save()
    assert OutboxEvent.objects.last().type == "testapp.widget.deleted"


def test_changes_outside_a_transaction_are_refused():
    with pytest.raises(RuntimeError, match=r"outside transaction\.atomic"):
        Widget.objects.create(name="loose")
    assert not Widget.objects.exists()


# 2 -----------------------------------------------------------------------------------


def test_broker_down_during_500_writes_loses_nothing(cuttable, settings, start_worker, broker_url):
    proxy, through_proxy = cuttable
    settings.BROKER_URL = through_proxy
    proxy.cut()
    widgets = [_create(f"w{n}") for n in range(500)]  # every write succeeds
    assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 500

    proxy.restore()
    stop = threading.Event()
    loop = threading.Thread(
        target=_in_thread(relay.run), kwargs={"stop": stop, "poll_interval": 0.05}
    )
    loop.start()
    try:
        wait_until(
            lambda: not OutboxEvent.objects.filter(sent_at__isnull=True).exists(),
            60,
            "the relay re-sends the backlog once the broker is back",
        )
    finally:
        stop.set()
        loop.join()
    start_worker(broker_url)
    wait_until(lambda: WidgetApplication.objects.count() >= 500, 90, "all 500 applied")
    assert InboxEvent.objects.count() == 500
    assert sorted(WidgetApplication.objects.values_list("widget_id", flat=True)) == sorted(
        widget.pk for widget in widgets
    )


def test_the_relay_loop_keeps_going_through_an_outage(cuttable, settings):
    proxy, through_proxy = cuttable
    settings.BROKER_URL = through_proxy
    lines: list[str] = []
    stop = threading.Event()
    loop = threading.Thread(
        target=_in_thread(relay.run),
        kwargs={"stop": stop, "poll_interval": 0.05, "max_backoff": 0.5, "log": lines.append},
    )
    loop.start()
    try:
        _create("before")
        wait_until(
            lambda: OutboxEvent.objects.filter(sent_at__isnull=False).count() == 1,
            10,
            "published while the broker is up",
        )
        proxy.cut()
        _create("during")
        wait_until(
            lambda: any("broker unavailable" in line for line in lines),
            10,
            "the relay notices the outage",
        )
        assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 1
        proxy.restore()
        wait_until(
            lambda: not OutboxEvent.objects.filter(sent_at__isnull=True).exists(),
            20,
            "published after the outage",
        )
    finally:
        stop.set()
        loop.join()
    assert lines[-1].startswith("relay stopped")


# 3 -----------------------------------------------------------------------------------


RELAY_DIES_AFTER_PUBLISHING = """
import os, signal, django
django.setup()
from common.events import relay, transport
publish = transport.Publisher.publish
def publish_then_die(self, envelopes):
    publish(self, envelopes)
    os.kill(os.getpid(), signal.SIGKILL)
transport.Publisher.publish = publish_then_die
relay.relay_pending()
"""


def test_relay_killed_between_publishing_and_committing(broker_url, settings, start_worker):
    widget = _create("once")
    env = process_env(broker_url)
    result = subprocess.run(
        [sys.executable, "-c", RELAY_DIES_AFTER_PUBLISHING],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -9, result.stderr
    row = OutboxEvent.objects.get()
    assert row.sent_at is None  # the mark never committed
    assert queued_messages(broker_url) == 1  # but the broker has the message
    assert _relay_all() == 0  # the dead relay's lease still holds the row
    OutboxEvent.objects.filter(pk=row.pk).update(  # the lease's end, without waiting 30 s
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert _relay_all() == 1  # so the restarted relay sends it again
    assert queued_messages(broker_url) == 2
    start_worker(broker_url)
    wait_until(
        lambda: queued_messages(broker_url) == 0 and _applied(widget) == [1],
        20,
        "both copies consumed",
    )
    assert _applied(widget) == [1]  # applied once
    assert InboxEvent.objects.count() == 1


# 4 -----------------------------------------------------------------------------------


def test_worker_killed_while_handling_redelivers_and_applies_once(
    broker_url, start_worker, tmp_path
):
    widget = _create("slow")
    _relay_all()
    worker = start_worker(broker_url, EVENTS_VISIBILITY_TIMEOUT="3")
    wait_until(lambda: (tmp_path / "slow-started").exists(), 20, "the handler started")
    worker.kill()
    assert _applied(widget) == []
    start_worker(broker_url, EVENTS_VISIBILITY_TIMEOUT="3")
    # As in test_batches: visibility timeout, restore sweep, maybe the restore lock's
    # expiry, after a worker's start on a busy machine.
    wait_until(lambda: _applied(widget) == [1], 120, "redelivered after the crash")
    assert InboxEvent.objects.count() == 1


# 5 -----------------------------------------------------------------------------------


def test_versions_out_of_order_end_at_the_newest(settings):
    widget = _create("v1")
    for name in ("v2", "v3"):
        # As if relayed: a change whose event still waits would replace it.
        OutboxEvent.objects.update(sent_at=timezone.now())
        with transaction.atomic():
            widget.name = name
            widget.save()
    first, second, third = (e.envelope for e in OutboxEvent.objects.order_by("id"))
    assert [third["version"], second["version"], first["version"]] == [3, 2, 1]
    for event in (third, first, second):  # v3 arrives first, then the stale ones
        assert process_event(event) is True
    copy = WidgetCopy.objects.get(pk=widget.pk)
    assert (copy.name, copy.version) == ("v3", 3)
    assert _applied(widget) == [3]
    assert process_event(third) is False  # a duplicate is dropped by the inbox


def test_an_event_nobody_handles_is_ignored():
    fake = {
        "id": str(uuid.uuid4()),
        "type": "testapp.gizmo.created",
        "aggregate_id": "1",
        "version": 1,
        "data": {},
    }
    assert process_event(fake) is False
    assert not InboxEvent.objects.exists()


# 6 -----------------------------------------------------------------------------------


def test_a_handler_that_keeps_failing_is_parked_then_replayed_once_fixed(broker_url, start_worker):
    widget = _create("explode")
    _relay_all()
    start_worker(broker_url, EVENTS_MAX_ATTEMPTS="3", EVENTS_RETRY_BASE_SECONDS="0.1")
    wait_until(lambda: DeadLetter.objects.exists(), 30, "parked after 3 attempts")
    letter = DeadLetter.objects.get()
    assert letter.attempts == 3
    assert "widget handler exploded" in letter.error
    assert _applied(widget) == []
    assert queued_messages(broker_url) == 0  # not left looping in the queue

    with pytest.raises(Exception, match="still fail"):
        call_command("replay_dead_letters")  # not fixed yet
    Switch.objects.create(name="explode-fixed")
    call_command("replay_dead_letters")
    letter.refresh_from_db()
    assert letter.replayed_at is not None
    assert _applied(widget) == [1]
    call_command("replay_dead_letters")  # nothing left to replay, nothing applied twice
    assert _applied(widget) == [1]


def test_retries_go_back_to_the_service_queue_only(broker_url, start_worker, settings):
    """A retry must not re-publish on the topic exchange (every bound service would get it)."""
    settings.EVENTS_TOPOLOGY = {
        "common_tests.events": ("testapp.#",),
        "bystander.events": ("testapp.#",),
    }
    from kombu import Connection

    with Connection(broker_url) as conn:
        topology.declare(conn)
    try:
        _create("explode")
        _relay_all()
        start_worker(broker_url, EVENTS_MAX_ATTEMPTS="3", EVENTS_RETRY_BASE_SECONDS="0.1")
        wait_until(lambda: DeadLetter.objects.exists(), 30, "parked")
        # The original publication only, none of the retries.
        assert queued_messages(broker_url, "bystander.events") == 1
    finally:
        with Connection(broker_url) as conn:
            conn.default_channel.queue_delete("bystander.events")


# 7 -----------------------------------------------------------------------------------


def test_an_event_published_before_the_consumer_ever_ran_is_delivered(broker_url, start_worker):
    # _reset() deleted the queue; publishing declares the whole topology first.
    widget = _create("early")
    assert _relay_all() == 1
    assert queued_messages(broker_url) == 1
    start_worker(broker_url)
    wait_until(lambda: _applied(widget) == [1], 20, "delivered to the late consumer")


# 8 -----------------------------------------------------------------------------------


def test_redis_restart_with_persistence_loses_nothing_pending(tmp_path, settings, start_worker):
    from common.development import embedded_broker

    base = tmp_path / "redis"
    url = embedded_broker.url(base)
    server = embedded_broker.start(base)
    settings.BROKER_URL = url
    try:
        queued = [_create(f"queued{n}") for n in range(20)]
        assert _relay_all() == 20  # published, waiting in Redis
        assert queued_messages(url) == 1  # one batch
        embedded_broker.stop(server)
        waiting = [_create(f"outbox{n}") for n in range(20)]  # broker down: outbox only
        assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 20
        server = embedded_broker.start(base)  # same data directory: the AOF is replayed
        assert queued_messages(url) == 1
        assert _relay_all() == 20
        start_worker(url)
        wait_until(lambda: WidgetApplication.objects.count() == 40, 60, "all 40 applied")
        assert {w.pk for w in queued + waiting} == set(
            WidgetApplication.objects.values_list("widget_id", flat=True)
        )
    finally:
        from common.events.transport import publisher

        publisher().close()
        embedded_broker.stop(server)


def test_a_worker_whose_acks_a_frozen_redis_never_got_stops_for_its_supervisor(
    tmp_path, settings, start_worker
):
    """kombu counts a message held until its ack reaches Redis; an ack lost to a frozen
    broker is never retried, and a worker whose every slot is so held takes nothing
    more while looking alive. The watch (ADR 0152) stops it with status 1."""
    from common.development import embedded_broker
    from common.events.transport import publisher

    base = tmp_path / "redis"
    url = embedded_broker.url(base)
    server = embedded_broker.start(base)
    settings.BROKER_URL = url
    try:
        _create("pause")  # its handler takes 3 s
        assert _relay_all() == 1
        worker = start_worker(url)
        wait_until(lambda: (tmp_path / "pause-started").exists(), 30, "the handler runs")
        os.kill(server.pid, signal.SIGSTOP)  # the ack, in 3 s, waits out its timeout
        try:
            # Behind whatever else the worker's loop asks the broker (10 s each).
            wait_until(lambda: "Couldn't ack" in worker.log.read_text(), 90, "the ack fails")
        finally:
            os.kill(server.pid, signal.SIGCONT)
        after = _create("after")
        assert _relay_all() == 1
        wait_until(lambda: worker.process.poll() is not None, 60, "the stuck worker stops")
        assert worker.process.returncode == 1
        assert "may take none" in worker.log.read_text()
        assert not _applied(after)  # the stuck worker took nothing more
        start_worker(url)  # as its supervisor does
        wait_until(lambda: _applied(after), 60, "the new worker applies what waited")
    finally:
        publisher().close()
        embedded_broker.stop(server)


# relay ordering and snapshots ----------------------------------------------------------


def test_an_aggregates_later_event_waits_for_its_earlier_one(settings, broker_url):
    if connections["default"].vendor != "postgresql":
        pytest.skip("two relays claim rows at once only on PostgreSQL (SKIP LOCKED)")
    widget = _create("a")
    with transaction.atomic():
        widget.name = "b"
        widget.save()
    first, second = OutboxEvent.objects.order_by("id")
    _create("other")
    claimed, release = threading.Event(), threading.Event()

    def another_relay() -> None:  # holds the first event, as a relay publishing it would
        with transaction.atomic():
            list(OutboxEvent.objects.select_for_update().filter(pk=first.pk))
            claimed.set()
            release.wait(20)

    holder = threading.Thread(target=_in_thread(another_relay))
    holder.start()
    try:
        assert claimed.wait(10)
        assert relay.relay_pending() == 1  # the other aggregate's; the second one waits
        assert OutboxEvent.objects.get(pk=second.pk).sent_at is None
    finally:
        release.set()
        holder.join()
    assert relay.relay_pending() == 2
    assert not OutboxEvent.objects.filter(sent_at__isnull=True).exists()


def test_publish_snapshots_republishes_current_state(settings):
    widget = _create("snap", 9)
    call_command("publish_snapshots")
    latest = OutboxEvent.objects.order_by("id").last()
    assert latest.envelope["data"]["quantity"] == 9
    assert latest.version == widget.version
    assert latest.event_id != OutboxEvent.objects.order_by("id").first().event_id
    assert [p.type_prefix for p in publications()] == ["testapp.widget"]


def test_publish_snapshots_costs_a_few_statements_per_chunk_not_per_aggregate():
    from common.events import recording

    def statements(count: int) -> int:
        OutboxEvent.objects.all().delete()
        Widget.objects.all().delete()
        for n in range(count):
            with transaction.atomic():
                WidgetPart.objects.create(widget=Widget.objects.create(name=f"s{n}"), label="a")
        with CaptureQueriesContext(connection) as queries:
            assert recording.snapshot_events(Widget) == count
        assert OutboxEvent.objects.filter(repeat=True).count() == count
        return len(queries.captured_queries)

    # read the widgets and their parts, one INSERT per chunk
    few, chunk = statements(3), statements(recording.SNAPSHOT_CHUNK)
    assert few <= 8
    if connection.vendor == "postgresql":
        assert chunk == few
    else:  # SQLite cuts a statement at 999 parameters: a few more, still not per aggregate
        assert chunk <= few + 10
    events = OutboxEvent.objects.filter(repeat=True).order_by("id")
    assert [e.envelope["data"]["parts"] for e in events[:2]] == [["a"], ["a"]]


def test_a_bulk_write_records_its_events_in_one_statement():
    from common.events.recording import record_saved

    with transaction.atomic():
        widgets = Widget.objects.bulk_create(Widget(name=f"b{n}", quantity=n) for n in range(3))
        with CaptureQueriesContext(connection) as queries:
            record_saved(widgets, created=True)
    # the parts of all three (what the events' data reads), the events
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["SELECT", "INSERT"]
    events = OutboxEvent.objects.order_by("id")
    assert [(e.type, e.version, e.envelope["data"]["quantity"]) for e in events] == [
        ("testapp.widget.created", 1, n) for n in range(3)
    ]
    with pytest.raises(RuntimeError, match=r"outside transaction\.atomic"):
        record_saved(widgets, created=False)


def test_one_change_writes_the_row_a_bulk_write_would_in_one_statement(monkeypatch):
    """A request's single event takes its own INSERT (written once per database); the
    row must be the one ``bulk_create`` writes for several."""
    from django.db.models import QuerySet

    from common.events.recording import record_saved

    with transaction.atomic():
        widgets = Widget.objects.bulk_create(Widget(name=f"b{n}", quantity=1) for n in range(2))
        record_saved(widgets, created=True)
    bulk_create = QuerySet.bulk_create

    def only_widgets(queryset, objs, *args, **kwargs):
        assert queryset.model is Widget, "a single event went through bulk_create"
        return bulk_create(queryset, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", only_widgets)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        single = Widget.objects.create(name="b2", quantity=1)
    # the widget, its parts (the event's data reads them), the event
    statements = [" ".join(q["sql"].split()[:3]) for q in queries.captured_queries]
    assert statements[0].startswith("INSERT") and statements[1].startswith("SELECT")
    assert statements[2:] == ['INSERT INTO "common_outboxevent"']
    event = OutboxEvent.objects.get(aggregate_id=str(single.pk))
    bulk = OutboxEvent.objects.get(aggregate_id=str(widgets[0].pk))

    def row(event: OutboxEvent) -> dict:
        kept = {"id", "event_id", "aggregate_id", "envelope", "created_at"}
        return {k: v for k, v in vars(event).items() if k not in kept and not k.startswith("_")}

    assert row(event) == row(bulk)
    assert event.id > bulk.id and event.created_at >= bulk.created_at
    assert event.envelope["id"] == str(event.event_id)
    assert {k: v for k, v in event.envelope["data"].items() if k not in ("id", "name")} == {
        k: v for k, v in bulk.envelope["data"].items() if k not in ("id", "name")
    }
    with transaction.atomic():
        repeat = republish(single)
    assert repeat.pk == OutboxEvent.objects.get(event_id=repeat.event_id).pk
    assert not repeat._state.adding


def test_envelope_helper_uses_the_instance_version():
    widget = _create("x")
    publication = publications()[0]
    data = envelope(publication, widget, "testapp.widget.updated")
    assert data["version"] == widget.version == 1


def test_dead_letters_can_be_replayed_from_the_admin(client):
    from common.events.consumer import park

    widget = _create("explode")
    event = OutboxEvent.objects.get().envelope
    with pytest.raises(Exception) as failure:
        process_event(event)
    letter = park(event, failure.value, 5)
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", "r@example.com", "pw-x-123")
    client.force_login(admin_user)
    assert client.get("/admin/events/deadletter/").status_code == 200
    assert client.get("/admin/events/outboxevent/?state=pending").status_code == 200
    Switch.objects.create(name="explode-fixed")
    response = client.post(
        "/admin/events/deadletter/",
        {"action": "replay", "_selected_action": [letter.pk]},
        follow=True,
    )
    assert "Replayed 1; still failing 0." in response.content.decode()
    assert _applied(widget) == [1]
