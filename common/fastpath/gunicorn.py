"""gthread's wait for a new connection's first bytes, cut from 5 s to half a second.

Replaces gunicorn's module constant ``gunicorn.workers.gthread.DEFAULT_WORKER_DATA_TIMEOUT``
(no setting reaches it). A threaded worker waits that long on a thread for a new
connection to speak before handing it to its poller: browsers open connections ahead
of need and leave them idle, and sixteen of them held every thread of a two-worker API
for 5 s each, in turns; requests waited behind them (15 s measured, under 3 s with
this: e2e/test_failures.py). A connection quiet after half a second goes to the poller
and loses nothing: it is served once it speaks. No ``make bench`` scenario opens idle
connections (wrk keeps its own busy), so none measures it; it is kept for that stall.
Off (:func:`common.fastpath.enabled`), gunicorn's own wait.
"""

from __future__ import annotations

from gunicorn.workers import gthread

from common import fastpath

#: Seconds a gthread worker waits on a thread for a new connection's first bytes.
DATA_TIMEOUT = 0.5


def configure() -> None:
    """Sets gthread's wait (gunicorn.conf.py calls it before the workers start)."""
    if fastpath.enabled():
        gthread.DEFAULT_WORKER_DATA_TIMEOUT = DATA_TIMEOUT
