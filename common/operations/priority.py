"""The CPU priority of a service's background processes (relays, workers, schedulers).

On one machine, requests and the work behind them share the cores. Events are
asynchronous by design (an order is answered before products_api reserves its
stock), so when the cores are short the request goes first and the relays and
workers catch up in the idle time: a burst of orders lengthens the event lag, not
the answer. On machines of their own (a worker's pod) the priority changes nothing.
"""

from __future__ import annotations

import os

from django.conf import settings


def yield_cpu_to_requests() -> int:
    """Lowers this process's CPU priority to ``BACKGROUND_NICENESS`` (never raises it:
    a process already nicer stays so, and 0 leaves it as started). Its children,
    forked later, inherit it. Returns the niceness now in force.

    Raises nothing: an environment that refuses the change (a container without
    the right) keeps the process as it is.
    """
    wanted = settings.BACKGROUND_NICENESS
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if wanted > current:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, wanted)
        except OSError:
            return current
        return wanted
    return current
