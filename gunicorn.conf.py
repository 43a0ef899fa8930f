"""Settings every gunicorn of this repository shares; gunicorn reads this file from the
directory it starts in (the repository root for `make run`, the tests and the image).

- Logs: gunicorn's own lines in the project's JSON (or ``LOG_FORMAT=text``) format.
- Workers: threaded (``gthread``), ``GUNICORN_THREADS`` (default 4) each. Browsers open
  connections ahead of need and leave them idle; a sync worker waits on such a
  connection until its timeout, so a few of them stopped a two-worker API for 30 s.
  A threaded worker waits for a new connection's first bytes on a thread for a
  moment (gunicorn's 5 s, cut to half a second by common.fastpath.gunicorn), then in
  its poller, where any number of idle connections cost nothing.
- Metrics: prometheus-client's multi-process mode, so ``/metrics`` counts every
  worker. Each gunicorn gets its own directory (``PROMETHEUS_MULTIPROC_DIR``, or a
  new temporary one), emptied at start and when a worker exits.
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common.fastpath import gunicorn as fastpath_gunicorn  # found through the path above

logger_class = "common.operations.logging_gunicorn.GunicornLogger"
# More than one thread makes gunicorn use its gthread worker; `--threads` still overrides.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
fastpath_gunicorn.configure()

_created_dir = None


def on_starting(server):
    global _created_dir
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for leftover in os.listdir(directory):  # counts of a previous run are not this one's
            os.unlink(os.path.join(directory, leftover))
    else:
        _created_dir = tempfile.mkdtemp(prefix="gunicorn-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_dir


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _created_dir:
        shutil.rmtree(_created_dir, ignore_errors=True)
