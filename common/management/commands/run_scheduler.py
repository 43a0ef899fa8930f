import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from common.events.stopping import stop_on_signals
from common.operations import metrics, scheduler
from common.operations.priority import yield_cpu_to_requests


class Command(BaseCommand):
    help = (
        "Run this service's periodic jobs (the anti-entropy sweep, pruning sent outbox "
        "rows, inbox ids and idempotency keys) until SIGTERM or Ctrl-C. Safe to run "
        "several at once: each run of a job is claimed in the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run the due jobs and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            ran = scheduler.run_due(log=self.stdout.write)
            self.stdout.write(f"ran: {', '.join(ran) or 'nothing was due'}")
            return
        yield_cpu_to_requests()
        metrics.serve_from_settings()
        stop = threading.Event()
        # The loop logs through logging: JSON lines, with the service and role on each.
        stop_on_signals(stop, scheduler.logger.info, "stopping")
        scheduler.run(stop=stop)
