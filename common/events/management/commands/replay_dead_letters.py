from typing import Any

from django.core.management.base import BaseCommand, CommandError

from common.events.consumer import replay_dead_letters


class Command(BaseCommand):
    help = (
        "Re-run every parked (dead-letter) event through its handler, once each. "
        "Events already applied are skipped; those that fail again stay parked."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        replayed, failed = replay_dead_letters(log=lambda line: self.stdout.write(line))
        self.stdout.write(f"replayed {replayed}, still failing {failed}")
        if failed:
            raise CommandError(f"{failed} dead letters still fail; see their errors in the admin")
