"""The relay holds nothing while it talks to the broker (issue #34, item 1), and an
aggregate's waiting events do not pile up (issue #35, item 1).

The claim leases rows in one short transaction, the publish runs with no transaction
open, and the mark is a second short transaction: a broker that hangs never makes a
write wait. A relay that dies leaves its rows to the next claim once its lease ends.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from common.events import relay
from common.events.consumer import process_batch
from common.events.models import InboxEvent, OutboxEvent
from common.events.recording import republish
from common.events.transport import BrokerUnavailable
from common.tests.testapp.models import Widget, WidgetCopy, WidgetPart

pytestmark = pytest.mark.django_db(transaction=True)


def _create(name: str = "w") -> Widget:
    with transaction.atomic():
        return Widget.objects.create(name=name)


def _rename(widget: Widget, name: str) -> None:
    with transaction.atomic():
        widget.name = name
        widget.save()


class BlockingPublisher:
    """Takes every message, but only once ``release`` is set; records what it took."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.published: list[list[dict[str, Any]]] = []

    def ensure_topology(self) -> None:
        pass

    def publish(self, envelopes: list[dict[str, Any]]) -> None:
        self.entered.set()
        if not self.release.wait(30):
            raise AssertionError("the test never released the publisher")
        self.published.append(envelopes)


class RefusingPublisher:
    def ensure_topology(self) -> None:
        pass

    def publish(self, envelopes: list[dict[str, Any]]) -> None:
        raise BrokerUnavailable("TimeoutError: Timeout reading from socket")


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[list[dict[str, Any]]] = []

    def ensure_topology(self) -> None:
        pass

    def publish(self, envelopes: list[dict[str, Any]]) -> None:
        self.published.append(envelopes)


def _relay_in_thread(errors: list[BaseException]) -> threading.Thread:
    """relay_pending on a thread of its own; what it raises ends up in ``errors``."""

    def run() -> None:
        try:
            relay.relay_pending()
        except BaseException as exc:  # reported by the test, not lost with the thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


# no lock while publishing ----------------------------------------------------------------


def test_a_write_commits_at_once_while_a_publish_hangs(monkeypatch):
    widget = _create("waiting")
    blocking = BlockingPublisher()
    monkeypatch.setattr(relay, "publisher", lambda: blocking)
    errors: list[BaseException] = []
    thread = _relay_in_thread(errors)
    try:
        assert blocking.entered.wait(10), "the relay never reached the broker"
        started = time.monotonic()
        other = _create("written meanwhile")  # the outbox table too: its event row
        _rename(widget, "renamed meanwhile")
        took = time.monotonic() - started
        assert took < 1.0, f"writes waited {took:.2f} s on the relay"
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND state LIKE 'idle in transaction%%'"
                )
                assert cursor.fetchone()[0] == 0
            with transaction.atomic():  # the claimed row is locked by nobody
                list(
                    OutboxEvent.objects.select_for_update(nowait=True).filter(
                        aggregate_id=str(widget.pk), version=1
                    )
                )
    finally:
        blocking.release.set()
        thread.join(30)
    assert not errors
    assert [[e["aggregate_id"] for e in message] for message in blocking.published] == [
        [str(widget.pk)]
    ]
    assert OutboxEvent.objects.get(aggregate_id=str(widget.pk), version=1).sent_at is not None
    # What was written while the publish hung waits for the next pass, unleased.
    waiting = OutboxEvent.objects.filter(sent_at__isnull=True).order_by("id")
    assert [(row.aggregate_id, row.version) for row in waiting] == [
        (str(other.pk), 1),
        (str(widget.pk), 2),
    ]
    assert all(row.claimed_until is None for row in waiting)


# the lease ------------------------------------------------------------------------------


def test_rows_of_a_relay_that_died_after_claiming_are_claimed_again_after_the_lease(
    settings, monkeypatch
):
    settings.EVENTS_RELAY_LEASE_SECONDS = 1.0
    widget = _create("orphan")
    recording = RecordingPublisher()
    monkeypatch.setattr(relay, "publisher", lambda: recording)
    dead = relay.claim_pending(limit=100, claim=uuid.uuid4())  # then the relay died
    assert [row.aggregate_id for row in dead] == [str(widget.pk)]
    assert relay.relay_pending() == 0  # leased: nobody else publishes it yet
    assert recording.published == []
    time.sleep(1.1)
    assert relay.relay_pending() == 1
    assert [e["aggregate_id"] for e in recording.published[0]] == [str(widget.pk)]
    assert OutboxEvent.objects.get().sent_at is not None


def test_a_leased_event_keeps_its_aggregates_later_events_waiting(monkeypatch):
    widget = _create("first")
    other = _create("other")
    relay.claim_pending(limit=1, claim=uuid.uuid4())  # another relay holds the first
    _rename(widget, "second")  # a new row: the first is leased, not replaced
    recording = RecordingPublisher()
    monkeypatch.setattr(relay, "publisher", lambda: recording)
    assert relay.relay_pending() == 1
    assert [e["aggregate_id"] for e in recording.published[0]] == [str(other.pk)]
    assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 2


def test_a_pass_whose_lease_ran_out_does_not_mark_another_pass_rows(settings, monkeypatch):
    settings.EVENTS_RELAY_LEASE_SECONDS = 0.5
    _create("slow pass")
    first = uuid.uuid4()
    claimed = relay.claim_pending(limit=100, claim=first)
    time.sleep(0.6)
    second = relay.claim_pending(limit=100, claim=uuid.uuid4())  # the lease ran out
    assert [row.pk for row in second] == [row.pk for row in claimed]
    assert relay._mark_sent(claimed, first) == 0  # the second pass's now
    assert OutboxEvent.objects.get().sent_at is None


def test_a_broker_that_fails_releases_the_rows_at_once_and_counts_the_attempt(monkeypatch):
    _create("refused")
    monkeypatch.setattr(relay, "publisher", RefusingPublisher)
    with pytest.raises(BrokerUnavailable):
        relay.relay_pending()
    row = OutboxEvent.objects.get()
    assert (row.sent_at, row.claimed_until, row.claim, row.attempts) == (None, None, None, 1)
    assert "Timeout" in row.last_error
    recording = RecordingPublisher()
    monkeypatch.setattr(relay, "publisher", lambda: recording)
    assert relay.relay_pending() == 1  # no lease to wait for


class SecondRefusingPublisher(RecordingPublisher):
    """Takes the first message and refuses the next."""

    def publish(self, envelopes: list[dict[str, Any]]) -> None:
        if self.published:
            raise BrokerUnavailable("TimeoutError: Timeout reading from socket")
        super().publish(envelopes)


def test_a_failed_message_releases_its_rows_and_later_ones_not_those_already_sent(monkeypatch):
    # created, updated, created: the two creations travel first, in one message.
    first = _create("first")
    _rename(first, "first, renamed")
    _create("third")
    publisher = SecondRefusingPublisher()
    monkeypatch.setattr(relay, "publisher", lambda: publisher)
    with pytest.raises(BrokerUnavailable):
        relay.relay_pending()
    assert [[event["data"]["name"] for event in message] for message in publisher.published] == [
        ["first", "third"]
    ]
    rows = {row.envelope["data"]["name"]: row for row in OutboxEvent.objects.all()}
    assert rows["first"].sent_at is not None and rows["third"].sent_at is not None
    renamed = rows["first, renamed"]
    assert (renamed.sent_at, renamed.claim, renamed.attempts) == (None, None, 1)
    recording = RecordingPublisher()
    monkeypatch.setattr(relay, "publisher", lambda: recording)
    assert relay.relay_pending() == 1  # released at once: no lease to wait for
    assert recording.published[0][0]["data"]["name"] == "first, renamed"


def test_a_relay_that_died_after_publishing_has_its_duplicate_dropped(settings, monkeypatch):
    settings.EVENTS_RELAY_LEASE_SECONDS = 0.5
    widget = _create("twice")
    recording = RecordingPublisher()
    monkeypatch.setattr(relay, "publisher", lambda: recording)
    monkeypatch.setattr(relay, "_mark_sent", lambda rows, claim: 0)  # died before marking
    assert relay.relay_pending() == 1
    monkeypatch.undo()
    monkeypatch.setattr(relay, "publisher", lambda: recording)
    time.sleep(0.6)
    assert relay.relay_pending() == 1  # published again after the lease
    first, second = recording.published
    assert first == second
    assert process_batch(first) == 1
    assert process_batch(second) == 0  # the inbox drops the repeat
    assert InboxEvent.objects.count() == 1
    assert WidgetCopy.objects.get(pk=widget.pk).version == 1


# pending events collapse ------------------------------------------------------------------


def _outbox_bytes() -> int:
    return sum(
        len(json.dumps(envelope, separators=(",", ":")))
        for envelope in OutboxEvent.objects.values_list("envelope", flat=True)
    )


def test_500_parts_added_while_no_relay_runs_leave_one_pending_update(settings):
    widget = _create("growing")
    for n in range(500):
        with transaction.atomic():
            WidgetPart.objects.create(widget=widget, label=f"part {n:03}")
    widget.refresh_from_db()
    rows = list(OutboxEvent.objects.order_by("id"))
    assert [(row.type, row.version) for row in rows] == [
        ("testapp.widget.created", 1),
        ("testapp.widget.updated", 501),
    ]
    assert rows[1].envelope["version"] == widget.version == 501
    assert len(rows[1].envelope["data"]["parts"]) == 500
    assert rows[1].event_id == uuid.UUID(rows[1].envelope["id"])
    # One row per add would be about 500 x 250 times a part's label: quadratic.
    assert _outbox_bytes() < 20_000
    # A consumer that sees only the newest state converges all the same.
    assert process_batch([row.envelope for row in rows]) == 2
    copy = WidgetCopy.objects.get(pk=widget.pk)
    assert copy.version == 501


def test_a_claimed_event_is_never_replaced(monkeypatch):
    widget = _create("on its way")
    claimed = relay.claim_pending(limit=100, claim=uuid.uuid4())
    _rename(widget, "after the claim")
    rows = list(OutboxEvent.objects.order_by("id"))
    assert [row.version for row in rows] == [1, 2]
    assert rows[0].envelope == claimed[0].envelope  # what may be on its way, untouched


def test_only_a_change_of_the_same_type_replaces_a_pending_event():
    widget = _create("typed")
    _rename(widget, "one")
    _rename(widget, "two")  # replaces "one": both updated
    with transaction.atomic():
        widget.is_active = False
        widget.save()  # deleted: a type of its own, added after
    assert list(OutboxEvent.objects.order_by("id").values_list("type", "version")) == [
        ("testapp.widget.created", 1),
        ("testapp.widget.updated", 3),
        ("testapp.widget.deleted", 4),
    ]


def test_a_sent_event_or_a_repeat_is_never_replaced():
    widget = _create("sent")
    OutboxEvent.objects.update(sent_at=timezone.now())
    _rename(widget, "changed")
    with transaction.atomic():
        republish(Widget.objects.get(pk=widget.pk))
    _rename(widget, "changed again")
    assert list(OutboxEvent.objects.order_by("id").values_list("type", "version", "repeat")) == [
        ("testapp.widget.created", 1, False),
        ("testapp.widget.updated", 2, False),
        ("testapp.widget.updated", 2, True),
        ("testapp.widget.updated", 3, False),
    ]
