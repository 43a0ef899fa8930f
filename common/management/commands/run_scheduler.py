import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from common.events import scheduler
from common.events.stopping import stop_on_signals


class Command(BaseCommand):
    help = (
        "Run this service's periodic jobs (the anti-entropy sweep, pruning sent outbox "
        "rows, inbox ids and idempotency keys) until SIGTERM or Ctrl-C. Safe to run "
        "several at once: each run of a job is claimed in the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run the due jobs and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        log = self.stdout.write
        if options["once"]:
            ran = scheduler.run_due(log=log)
            log(f"ran: {', '.join(ran) or 'nothing was due'}")
            return
        stop = threading.Event()
        stop_on_signals(stop, log, "stopping")
        scheduler.run(stop=stop, log=log)
