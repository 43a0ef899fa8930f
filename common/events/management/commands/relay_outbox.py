import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from common.events import relay
from common.events.stopping import stop_on_signals
from common.operations import metrics
from common.operations.priority import yield_cpu_to_requests


class Command(BaseCommand):
    help = (
        "Publish pending outbox events to the broker, oldest first, in batches, until SIGTERM or "
        "Ctrl-C. Survives broker and database outages (retries with backoff) and "
        "restarts (pending events stay in the outbox until the broker accepts them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=100,
            help="Events claimed per transaction (default 100).",
        )
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=None,
            help="Longest wait when nothing is pending (default 1 s on PostgreSQL, where "
            "commits wake the relay at once, and 0.05 s elsewhere).",
        )
        parser.add_argument(
            "--linger",
            type=float,
            default=relay.LINGER_SECONDS,
            help="While events keep coming, how long to wait after a commit wakes the relay, "
            "so that the commits right behind it travel in the same message "
            f"(default {relay.LINGER_SECONDS * 1000:.0f} ms; 0 sends each commit at once).",
        )
        parser.add_argument(
            "--max-backoff",
            type=float,
            default=30.0,
            help="Longest wait between retries while the broker is down.",
        )
        parser.add_argument(
            "--report-every",
            type=float,
            default=30.0,
            help="Seconds between progress lines (default 30).",
        )
        parser.add_argument(
            "--once", action="store_true", help="Publish what is pending now and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            total = 0
            while published := relay.relay_pending(limit=options["batch_size"]):
                total += published
            self.stdout.write(f"relayed {total} events")
            return
        yield_cpu_to_requests()
        metrics.serve_from_settings()
        stop = threading.Event()
        # The loop logs through logging: JSON lines, with the service and role on each.
        stop_on_signals(stop, relay.logger.info, "stopping after this batch")
        relay.run(
            stop=stop,
            batch_size=options["batch_size"],
            poll_interval=options["poll_interval"],
            linger=options["linger"],
            max_backoff=options["max_backoff"],
            report_every=options["report_every"],
        )
