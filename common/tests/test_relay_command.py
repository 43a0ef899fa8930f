"""`manage.py relay_outbox` as the process it runs as: progress, and a clean SIGTERM stop."""

import json
import signal
import subprocess
import sys

import pytest
from django.db import transaction

from common.models import OutboxEvent
from common.tests.conftest import REPO, process_env, queued_messages, wait_until
from common.tests.testapp.models import Widget

pytestmark = pytest.mark.django_db(transaction=True)


def test_relay_outbox_publishes_reports_and_stops_on_sigterm(broker_url, settings, tmp_path):
    settings.EVENTS_FAST_PATH = False  # only the relay process publishes
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
        assert queued_messages(broker_url) == 30
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
    settings.EVENTS_FAST_PATH = False
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
    assert queued_messages(broker_url) == 3
