"""Django's PostgreSQL backend with a health check that costs no round trip.

Every service sets ``CONN_HEALTH_CHECKS``: before a request's first query Django
checks its persistent connection, by default with ``SELECT 1``. That round trip was
a tenth of an order read under load (docs/performance.md). An idle connection has
nothing to read, so its socket says whether the server is still there: a server
that ends a session (a restart, ``pg_terminate_backend``, a pooler closing it) sends
its goodbye and closes, and the socket becomes readable. Only then is ``SELECT 1``
sent, to tell a goodbye from a notification waiting on a LISTENing connection.
"""

from __future__ import annotations

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        """Whether the connection can take a query. Guarantees: no round trip while the
        connection is open and the server has sent nothing since the last query; Django's
        ``SELECT 1`` otherwise. Never raises for a lost connection (answers False)."""
        if self.connection is None or self.connection.closed:
            return False
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            return False
        try:
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
        except (OSError, ValueError, psycopg.Error):  # the socket is gone
            return False
        return not readable or super().is_usable()
