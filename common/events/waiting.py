"""The event messages waiting behind the one a worker runs, taken to be applied with it.

A relay sends what is pending when it wakes, so at a steady rate most messages carry
one change or a few; a worker that falls behind would then work through a queue of
small messages, each a Celery dispatch and a transaction of its own, and fall further
behind. Taking the messages that wait in the queue when a message runs and applying
them in the same transaction makes the work per event shrink as the queue grows; an
idle queue costs one empty read (ADR 0153).

Only first deliveries are taken: ``events.handle`` and ``events.handle_batch`` with no
countdown. A retry (``events.handle`` with a countdown) waits for its time, so the
first such message met is put back and nothing more is taken.

The messages taken are acknowledged only once their events were applied (or sent to
retry, or parked, as the message's own); a worker that dies before holds them
unacknowledged, and the broker delivers them again (RabbitMQ when the connection
closes, Redis after the visibility timeout), where the inbox drops what had committed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from kombu import Connection, Queue
from kombu.message import Message

from common.events import topology
from common.events.transport import (
    BATCH_TASK_NAME,
    TASK_NAME,
    bounded_transport_options,
    release_quietly,
)

logger = logging.getLogger("common.events.consumer")

#: This process's connection for taking messages: its URL, and the process it was
#: opened in (a pool child forked after its parent opened one must not share it).
_connection: Connection | None = None
_opened_for: tuple[str, int] = ("", 0)


@dataclass
class Taken:
    """Events taken off the queue and the messages that carried them."""

    envelopes: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    def acknowledge(self) -> None:
        """The messages are done with: the broker forgets them."""
        self._settle(Message.ack)

    def give_back(self) -> None:
        """The messages are not done with: back in the queue, for any worker."""
        self._settle(lambda message: message.reject(requeue=True))

    def _settle(self, settle: Callable[[Message], object]) -> None:
        try:
            for message in self.messages:
                settle(message)
        except Exception:
            # The broker will deliver them again (the connection is gone, or the
            # visibility timeout ends); the inbox drops what committed.
            logger.warning("could not settle %s taken messages", len(self.messages), exc_info=True)
            close()
        self.messages = []


def _channel() -> Any:
    global _connection, _opened_for
    wanted = (settings.BROKER_URL, os.getpid())
    if _connection is not None and _opened_for != wanted:
        close()
    if _connection is None:
        connection = Connection(
            settings.BROKER_URL,
            connect_timeout=settings.EVENTS_BROKER_CONNECT_TIMEOUT,
            # A frozen broker delays the running message this much, never more.
            transport_options=bounded_transport_options(settings.EVENTS_BROKER_TIMEOUT),
        )
        # kombu's Redis transport gives a message back through its exchange, which it
        # routes as direct unless this connection declared it topic.
        topology.declare(connection)
        _connection, _opened_for = connection, wanted
    return _connection.default_channel


def close() -> None:
    """Drops this process's connection (RabbitMQ queues again at once what was taken
    on it and not acknowledged); the next take opens another."""
    global _connection
    if _connection is not None and _opened_for[1] == os.getpid():
        release_quietly(_connection)
    _connection = None


def _first_delivery(message: Message) -> list[dict[str, Any]] | None:
    """The events of a message this module may take, or None."""
    headers = message.headers or {}
    if headers.get("eta") or headers.get("retries"):
        return None
    task = headers.get("task")
    if task not in (TASK_NAME, BATCH_TASK_NAME):
        return None
    args = message.decode()[0]
    return list(args[0]) if task == BATCH_TASK_NAME else [args[0]]


def take_waiting(*, queue: str, events: int) -> Taken:
    """Takes the messages waiting in ``queue``, oldest first, while they are first
    deliveries of events, at most ``EVENTS_TAKE_WAITING_MESSAGES`` (0: none), and the
    events taken with the ``events`` the running message carries are fewer than
    ``EVENTS_TAKE_WAITING_EVENTS`` (the last message taken may go past it).

    Never raises: a broker that fails ends the taking with what was taken.
    """
    taken = Taken()
    limit = settings.EVENTS_TAKE_WAITING_EVENTS
    if settings.EVENTS_TAKE_WAITING_MESSAGES <= 0:
        return taken
    try:
        queue_ = Queue(queue, no_declare=True, channel=_channel())
        while len(taken.messages) < settings.EVENTS_TAKE_WAITING_MESSAGES and events < limit:
            message = queue_.get(no_ack=False, accept=["json"])
            if message is None:
                break
            carried = _first_delivery(message)
            if carried is None:  # a retry: back to the queue, for its time
                message.reject(requeue=True)
                break
            taken.messages.append(message)
            taken.envelopes.extend(carried)
            events += len(carried)
    except Exception:
        # Closing the connection also gives back what was taken on it (the broker
        # delivers it again; the inbox drops what this worker applies meanwhile).
        logger.warning("taking waiting messages failed; applying what was taken", exc_info=True)
        close()
    return taken
