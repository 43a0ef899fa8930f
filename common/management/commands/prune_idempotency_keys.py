from django.core.management.base import BaseCommand

from common.operations.housekeeping import prune_idempotency_keys


class Command(BaseCommand):
    help = (
        "Delete remembered Idempotency-Key responses older than IDEMPOTENCY_KEY_HOURS "
        "(24 by default), in small chunks. `manage.py run_scheduler` does it every hour."
    )

    def handle(self, *args: object, **options: object) -> None:
        deleted = prune_idempotency_keys()
        self.stdout.write(f"Deleted {deleted} idempotency records.")
