import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from common.events import scheduler


class Command(BaseCommand):
    help = (
        "Run this service's periodic event jobs (the anti-entropy sweep) until SIGTERM "
        "or Ctrl-C. Safe to run several at once: each run of a job is claimed in the "
        "database."
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

        def request_stop(signum: int, frame: object) -> None:
            log(f"signal {signal.Signals(signum).name}: stopping")
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        scheduler.run(stop=stop, log=log)
