from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from common.models import IdempotencyRecord


class Command(BaseCommand):
    help = (
        "Delete remembered Idempotency-Key responses older than IDEMPOTENCY_KEY_HOURS "
        "(24 by default). Safe to run at any time, e.g. daily from cron."
    )

    def handle(self, *args: object, **options: object) -> None:
        cutoff = timezone.now() - timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_HOURS", 24))
        deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(
            f"Deleted {deleted} idempotency records older than {cutoff:%Y-%m-%d %H:%M}."
        )
