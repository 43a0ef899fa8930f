"""Publishing events to the broker as Celery task messages: ``events.handle`` (one
event) or ``events.handle_batch`` (up to 100 events of one type, in publish order).

One connection per process, guarded by a lock (gunicorn threads share it).
Every failure closes the connection and raises BrokerUnavailable; the next
call reconnects and declares the topology again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery
from django.conf import settings
from kombu import Connection

from common.events import topology

logger = logging.getLogger(__name__)

TASK_NAME = "events.handle"
BATCH_TASK_NAME = "events.handle_batch"

# Builds task messages only; it never connects on its own (each publish passes a producer).
_message_app = Celery("events-publisher", set_as_current=False)
_message_app.conf.update(task_serializer="json", accept_content=["json"])


class BrokerUnavailable(Exception):
    """The broker could not be reached or did not accept a message."""


def transport_options() -> dict[str, Any]:
    return dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)


def bounded_transport_options(timeout: float) -> dict[str, Any]:
    """The transport options with every socket wait ending within ``timeout`` seconds:
    connecting, reading and writing (Redis), reading and writing, which includes
    waiting for a publish's confirm (AMQP)."""
    return {
        **transport_options(),
        "socket_timeout": timeout,  # Redis
        "socket_connect_timeout": timeout,
        "read_timeout": timeout,  # AMQP
        "write_timeout": timeout,
    }


def release_quietly(connection: Connection) -> None:
    """Releases ``connection``; one already broken has nothing left to release."""
    try:
        connection.release()
    except Exception:
        logger.debug("closing a broken broker connection", exc_info=True)


class Publisher:
    def __init__(self, url: str | None = None) -> None:
        self.url = url or settings.BROKER_URL
        self._connection: Connection | None = None
        self._producer: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        if self._producer is None:
            connection = Connection(
                self.url,
                connect_timeout=settings.EVENTS_BROKER_CONNECT_TIMEOUT,
                # A frozen broker costs the relay this per call, never more.
                transport_options=bounded_transport_options(settings.EVENTS_BROKER_TIMEOUT),
            )
            # One quick retry, no backoff: callers (/readyz, the relay
            # loop with its own backoff) must not hang on a broker that is down.
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, interval_max=0
            )
            topology.declare(connection)
            self._connection = connection
            self._producer = connection.Producer()
        return self._producer

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._connection is not None:
            release_quietly(self._connection)
        self._connection = None
        self._producer = None

    def publish(self, envelopes: list[dict[str, Any]]) -> None:
        """Sends events of one type as one message; returns once the broker accepted it.

        One event travels as ``events.handle`` (what consumers of every version
        accept), several as ``events.handle_batch``. Raises BrokerUnavailable; the
        caller keeps the events pending.
        """
        first = envelopes[0]
        if len(envelopes) == 1:
            task, args, summary = TASK_NAME, [first], f"({first['type']} {first['id']})"
        else:
            task, args = BATCH_TASK_NAME, [envelopes]
            summary = f"({len(envelopes)} x {first['type']} from {first['id']})"
        with self._lock:
            try:
                _message_app.send_task(
                    task,
                    args=args,
                    # One event: its id, so a message is traceable to its outbox row.
                    task_id=first["id"] if len(envelopes) == 1 else None,
                    producer=self._connect(),
                    exchange=topology.EXCHANGE,
                    exchange_type="topic",
                    routing_key=first["type"],
                    declare=[topology.EXCHANGE],
                    retry=False,
                    add_to_parent=False,
                    # Celery would otherwise render the whole payload into a header.
                    argsrepr=summary,
                    kwargsrepr="{}",
                )
            except Exception as exc:
                self._close()
                raise BrokerUnavailable(f"{exc.__class__.__name__}: {exc}") from exc

    def ensure_topology(self) -> None:
        """Declares the topology again when the broker has lost it.

        A Redis restarted without its data has no bindings, and kombu then drops
        every message silently; one ``EXISTS`` per batch finds that out first.
        Raises BrokerUnavailable.
        """
        with self._lock:
            try:
                self._connect()
                if self._connection.transport.driver_type == "redis":
                    channel = self._connection.default_channel
                    table = channel.keyprefix_queue % topology.EXCHANGE_NAME
                    if not channel.client.exists(table):
                        logger.warning("the broker lost the event bindings; declaring them")
                        # A new connection: kombu remembers the bindings it declared per
                        # connection and would not write them again on this one.
                        self._close()
                        self._connect()
            except Exception as exc:
                self._close()
                raise BrokerUnavailable(f"{exc.__class__.__name__}: {exc}") from exc

    def ping(self) -> None:
        """Raises BrokerUnavailable when the broker does not answer."""
        with self._lock:
            try:
                self._connect()
                self._connection.default_channel  # noqa: B018 - opens the channel
            except Exception as exc:
                self._close()
                raise BrokerUnavailable(f"{exc.__class__.__name__}: {exc}") from exc


_publisher: Publisher | None = None
_publisher_lock = threading.Lock()


def publisher() -> Publisher:
    """This process's publisher (one connection per process)."""
    global _publisher
    with _publisher_lock:
        if _publisher is None or _publisher.url != settings.BROKER_URL:
            if _publisher is not None:
                _publisher.close()
            _publisher = Publisher()
        return _publisher
