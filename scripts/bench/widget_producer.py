"""One producer of `make bench-events`: ``count`` widget changes at ``rate`` per second
(0: as fast as it can), ``per`` of them committed in each transaction.

    python scripts/bench/widget_producer.py COUNT RATE NAME_PREFIX PER_TRANSACTION

Runs with the environment scripts/bench_events.py gives it (the test project of
`common`, the bench's database and broker).
"""

import sys
import time

import django

django.setup()

from django.db import transaction  # noqa: E402

from common.tests.testapp.models import Widget  # noqa: E402


def main(count: int, rate: float, prefix: str, per: int) -> None:
    start = time.monotonic()
    for first in range(0, count, per):
        if rate:
            delay = start + first / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        with transaction.atomic():
            for n in range(first, min(count, first + per)):
                Widget.objects.create(name=f"{prefix}{n}", quantity=n)


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
