"""Django's PostgreSQL backend, with costs of every request taken out.

Replaces ``django.db.backends.postgresql`` (``DATABASES``' ``ENGINE`` names this
package); subclasses its ``DatabaseWrapper`` (``get_connection_params``,
``is_usable``), cursor and operations, and psycopg's ``timestamptz`` loader. Measured
gain: docs/performance.md, "The fast path". Off (:func:`common.fastpath.enabled`,
decided when the backend is first loaded), Django's own ``DatabaseWrapper`` is the one
this module gives.

- **The health check.** Every service sets ``CONN_HEALTH_CHECKS``: before a request's
  first query Django checks its persistent connection, by default with ``SELECT 1``.
  That round trip was a tenth of an order read under load (docs/performance.md). An
  idle connection has nothing to read, so its socket says whether the server is still
  there: a server that ends a session (a restart, ``pg_terminate_backend``, a pooler
  closing it) sends its goodbye and closes, and the socket becomes readable. Only then
  is ``SELECT 1`` sent, to tell a goodbye from a notification waiting on a LISTENing
  connection.
- **Timestamps.** Django loads ``timestamptz`` with a Python subclass of psycopg's
  loader, which parses each value in Python: a sixth of a page of 50 products. On a
  UTC connection (``USE_TZ`` with the database's ``TIME_ZONE`` unset, as here) psycopg's
  own loader gives the same aware UTC datetimes, parsed in C.
- **Short bulk inserts** go as ``VALUES`` (common/fastpath/postgresql/compiler.py).
- **Pattern searches are planned with their values.** With ``server_side_binding`` and
  a ``prepare_threshold`` (common.settings.environment sets both), a statement run often
  is prepared and PostgreSQL soon plans it once for any values. Such a plan keeps
  ``UPPER($1)`` of an ``icontains`` as an expression it evaluates on every row it scans,
  where a plan made with the values folds it to a constant: a client search took half
  as long again. A statement with ``LIKE`` is never prepared (:class:`Cursor`).
"""

from __future__ import annotations

import datetime as dt
import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base, operations
from psycopg import adapt, postgres, pq

from common import fastpath

TIMESTAMPTZ_OID = postgres.types["timestamptz"].oid
# psycopg's own text loader (Django registers its loaders on copies of this map).
_PARSER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, pq.Format.TEXT)


class UTCTimestamptzLoader(adapt.Loader):
    """psycopg's ``timestamptz`` loader (its C one where installed) under the name and
    ``timezone`` attribute Django's backend looks for on a cursor's loader."""

    timezone = dt.UTC

    def __init__(self, oid: int, context: adapt.AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        # The instance attribute shadows the method below: psycopg calls the C parser
        # directly, without a Python frame per value.
        self.load = _PARSER(oid, context).load

    def load(self, data: Any) -> dt.datetime:  # only reached through the class
        return self.load(data)


class Cursor(base.ServerBindingCursor):
    """Django's server-binding cursor; a statement with a ``LIKE`` is never prepared."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, **kwargs: Any
    ) -> Any:
        if prepare is None and isinstance(query, str) and " LIKE " in query:
            prepare = False
        return super().execute(query, params, prepare=prepare, **kwargs)


class DatabaseOperations(operations.DatabaseOperations):
    compiler_module = "common.fastpath.postgresql.compiler"


class FastDatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if params["cursor_factory"] is base.ServerBindingCursor:
            params["cursor_factory"] = Cursor
        if self.timezone == dt.UTC:
            # A map of this connection's own: Django's template is shared (cached).
            context = adapt.AdaptersMap(params["context"])
            context.register_loader(TIMESTAMPTZ_OID, UTCTimestamptzLoader)
            params["context"] = context
        return params

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


def database_wrapper() -> type[base.DatabaseWrapper]:
    """This backend's connection class: ours, or Django's own with the fast path off."""
    return FastDatabaseWrapper if fastpath.enabled() else base.DatabaseWrapper


#: What Django loads (``<ENGINE>.base.DatabaseWrapper``), chosen when first loaded.
DatabaseWrapper = database_wrapper()
