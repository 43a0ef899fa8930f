"""Stopping a long-running event process (relay, scheduler) cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable


def stop_on_signals(stop: threading.Event, log: Callable[[str], None], note: str) -> None:
    """Sets ``stop`` on SIGTERM or SIGINT, after logging ``signal <NAME>: <note>``.

    The handler hands both to another thread: it runs in the main thread between
    two bytecodes, possibly while that thread holds the event's own lock (inside
    ``stop.wait()``) or the output's, and taking either there would deadlock.
    """

    def request_stop(signum: int, frame: object) -> None:
        line = f"signal {signal.Signals(signum).name}: {note}"

        def announce_and_stop() -> None:
            log(line)
            stop.set()

        threading.Thread(target=announce_and_stop, daemon=True).start()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
