"""`manage.py relay_outbox` as the process it runs as: progress, and a clean SIGTERM stop."""

import json
import signal
import subprocess
import sys
import threading

import pytest
from django.db import transaction

from common.events.models import OutboxEvent
from common.events.stopping import stop_on_signals
from common.tests.conftest import REPO, drain_events, process_env, wait_until
from common.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)


def test_relay_outbox_publishes_reports_and_stops_on_sigterm(broker_url, settings, tmp_path):
    log = tmp_path / "relay.log"
    env = process_env(broker_url)
    relay = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "django",
            "relay_outbox",
            "--poll-interval",
            "0.05",
            "--report-every",
            "0",
        ],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        for n in range(30):
            with transaction.atomic():
                Widget.objects.create(name=f"r{n}")
        wait_until(
            lambda: not OutboxEvent.objects.filter(sent_at__isnull=True).exists(),
            20,
            "the relay process publishes everything",
        )
        published = [
            event["data"]["name"] for _, batch in drain_events(broker_url) for event in batch
        ]
        assert published == [f"r{n}" for n in range(30)]  # in order, whatever the batches
        wait_until(lambda: "relayed 30 events so far" in log.read_text(), 10, "progress line")
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(15) == 0
    output = log.read_text()
    assert "relay started" in output
    assert "signal SIGTERM: stopping after this batch" in output
    last = json.loads(output.rstrip().splitlines()[-1])  # one JSON object a line (LOG_FORMAT)
    assert last["message"] == "relay stopped after relaying 30 events"
    assert last["role"] == "relay" and last["logger"] == "common.events.relay"


def test_relay_outbox_once_drains_and_exits(broker_url, settings):
    for n in range(3):
        with transaction.atomic():
            Widget.objects.create(name=f"o{n}")
    env = process_env(broker_url)
    result = subprocess.run(
        [sys.executable, "-m", "django", "relay_outbox", "--once"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Each event's log line comes first (JSON), the summary last.
    assert result.stdout.strip().splitlines()[-1] == "relayed 3 events"
    assert drain_events(broker_url) == [
        ("events.handle_batch", [e.envelope for e in OutboxEvent.objects.order_by("id")])
    ]


def test_a_stop_signal_arriving_inside_the_loops_wait_does_not_deadlock(monkeypatch):
    """SIGTERM's handler runs in the main thread, maybe while it holds the stop event's
    lock (inside ``stop.wait()``): setting the event right there would hang forever."""
    handlers = {}
    monkeypatch.setattr(
        signal, "signal", lambda signum, handler: handlers.setdefault(signum, handler)
    )
    stop, lines = threading.Event(), []
    stop_on_signals(stop, lines.append, "stopping")
    with stop._cond:  # where the loop is when the signal lands
        handlers[signal.SIGTERM](signal.SIGTERM, None)
    assert stop.wait(5)
    assert lines == ["signal SIGTERM: stopping"]
