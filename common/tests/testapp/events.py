"""What the test project publishes and how its consumer handles it.

Widgets named ``explode`` fail until the ``explode-fixed`` switch exists;
widgets named ``slow`` make the first attempt hang (so a test can kill the
worker mid-handling), recording that it started in ``TESTAPP_MARKER_DIR``; widgets
named ``pause`` make every attempt take 3 s, recording each start there too.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from common.events.recording import part_of, publishes
from common.events.snapshots import copies
from common.tests.testapp.models import (
    Switch,
    Widget,
    WidgetApplication,
    WidgetCopy,
    WidgetPart,
)


def widget_data(widget: Widget) -> dict[str, Any]:
    return {
        "id": widget.pk,
        "name": widget.name,
        "quantity": widget.quantity,
        "is_active": widget.is_active,
        "parts": sorted(part.label for part in widget.parts.all()),
    }


def register() -> None:
    publishes(
        Widget,
        type_prefix="testapp.widget",
        to_data=widget_data,
        deleted_when=lambda widget: not widget.is_active,
        prefetch=("parts",),
    )
    part_of(WidgetPart, aggregate=lambda part: part.widget)


class HandlerExploded(Exception):
    pass


def _misbehave(name: str) -> None:
    if name == "explode" and not Switch.objects.filter(name="explode-fixed").exists():
        raise HandlerExploded("widget handler exploded")
    if name == "slow":
        marker = Path(os.environ["TESTAPP_MARKER_DIR"]) / "slow-started"
        if not marker.exists():
            marker.touch()
            time.sleep(120)
    if name == "pause":
        (Path(os.environ["TESTAPP_MARKER_DIR"]) / "pause-started").touch()
        time.sleep(3)


def _record_applications(envelopes: list[dict[str, Any]]) -> None:
    # The handler's effect, beside the copy: the tests count it to prove "exactly once".
    WidgetApplication.objects.bulk_create(
        WidgetApplication(
            event_id=envelope["id"],
            widget_id=int(envelope["aggregate_id"]),
            version=envelope["version"],
        )
        for envelope in envelopes
    )


@copies(
    WidgetCopy,
    "testapp.widget.created",
    "testapp.widget.updated",
    "testapp.widget.deleted",
    after=_record_applications,
)
def copy_widget(envelope: dict[str, Any]) -> dict[str, Any]:
    data = envelope["data"]
    _misbehave(data["name"])
    return {
        "name": data["name"],
        "quantity": data["quantity"],
        "parts": data["parts"],
        "is_active": not envelope["type"].endswith(".deleted"),
    }
