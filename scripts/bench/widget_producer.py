"""One producer of `make bench-events`: ``count`` widget changes at ``rate`` per second
(0: as fast as it can), ``per`` of them committed in each transaction: one ORM save per
transaction as a request does, or bulk writes recording their events in one statement
(``record_saved``), as ``publish_snapshots`` does.

    python scripts/bench/widget_producer.py COUNT RATE NAME_PREFIX PER_TRANSACTION

Runs with the environment scripts/bench_events.py gives it (the test project of
`common`, the bench's database and broker).
"""

import sys
import time

import django

django.setup()

from django.db import transaction  # noqa: E402

from common.events.recording import record_saved  # noqa: E402
from common.tests.testapp.models import Widget  # noqa: E402


def main(count: int, rate: float, prefix: str, per: int) -> None:
    start = time.monotonic()
    for first in range(0, count, per):
        if rate:
            delay = start + first / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        with transaction.atomic():
            if per == 1:  # through the ORM's save and its post_save
                Widget.objects.create(name=f"{prefix}{first}", quantity=first)
            else:
                widgets = Widget.objects.bulk_create(
                    Widget(name=f"{prefix}{n}", quantity=n)
                    for n in range(first, min(count, first + per))
                )
                record_saved(widgets, created=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
