"""The CPU priority of a service's background processes (relays, workers, schedulers).

On one machine, requests and the work behind them share the cores. Events are
asynchronous by design (an order is answered before products_api reserves its
stock), so when the cores are short the request goes first and the relays and
workers catch up in the idle time: a burst of orders lengthens the event lag, not
the answer. On machines of their own (a worker's pod) the priority changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

#: Linux's autogroup: the scheduler shares the cores between sessions first, then
#: between the processes of a session by their niceness.
AUTOGROUP = Path("/proc/self/autogroup")


def yield_cpu_to_requests() -> int:
    """Lowers this process's CPU priority to ``BACKGROUND_NICENESS`` (never raises it:
    a process already nicer stays so, and 0 leaves it as started). Its children,
    forked later, inherit it. Returns the niceness now in force.

    With autogroup scheduling (Linux's default on desktops and many servers) a
    niceness weighs only against the processes of the same session, and `make run`,
    the benches and the tests start every program in a session of its own: a
    process that leads its session gives its session's group the same niceness.
    One that does not (started from a terminal, under a shell) leaves the group
    alone, since the terminal's other programs share it.

    Raises nothing: an environment that refuses the change (a container without
    the right, a kernel without autogroup) keeps the process as it is.
    """
    wanted = settings.BACKGROUND_NICENESS
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if wanted <= current:
        return current
    try:
        os.setpriority(os.PRIO_PROCESS, 0, wanted)
    except OSError:
        return current
    if os.getsid(0) == os.getpid():
        _yield_session(wanted)
    return wanted


def _yield_session(niceness: int) -> None:
    """Gives this process's autogroup ``niceness`` unless it is already nicer."""
    try:
        # "/autogroup-<id> nice <n>"
        if int(AUTOGROUP.read_text().split()[-1]) < niceness:
            AUTOGROUP.write_text(str(niceness))
    except (OSError, ValueError, IndexError):
        pass
