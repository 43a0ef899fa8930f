"""The readiness checks of a service with events (``settings.READINESS_CHECKS``, see
``common.settings.events.readiness_checks``): the broker, the outbox's backlog and the
consumer's queue. ``common.operations.health`` runs them as it runs any check, the two
that wait on the broker each in a lane of its own.

Like the database's, the checks' broker connections are kept between asks, each lent
to one check at a time (an AMQP connection is a handshake and a login on every node
it reaches), and each check makes a round trip on its own.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from kombu import Connection

from common.events.models import DeadLetter
from common.events.relay import pending_stats
from common.events.transport import bounded_transport_options
from common.operations.health import check_timeout, runs_apart

#: The checks' broker connections not lent to a check now, by broker URL.
_idle_brokers: dict[str, list[Connection]] = {}
_idle_lock = threading.Lock()


def _new_broker_connection(url: str) -> Connection:
    """A connection of the checks' own (not the publisher's) whose every wait ends
    within the timeout."""
    timeout = check_timeout()
    options = bounded_transport_options(timeout)
    return Connection(url, connect_timeout=timeout, transport_options=options)


@contextlib.contextmanager
def _broker_channel() -> Iterator[tuple[Connection, Any]]:
    """A kept connection to ``BROKER_URL`` and its channel, or a new one; given back
    for the next check unless the check failed on it or its channel was closed (then
    closed: the next check connects afresh)."""
    url = settings.BROKER_URL
    with _idle_lock:
        idle = _idle_brokers.setdefault(url, [])
        connection = idle.pop() if idle else _new_broker_connection(url)
    try:
        connection.ensure_connection(max_retries=0)  # one attempt: a retry waits seconds
        channel = connection.default_channel
        yield connection, channel
    except BaseException:
        connection.release()
        raise
    if not getattr(channel, "is_open", True):  # AMQP closes a channel a request failed on
        connection.release()
        return
    with _idle_lock:
        _idle_brokers.setdefault(url, []).append(connection)


def _round_trip(channel: Any) -> None:
    """A request the broker answers: a Redis PING, an AMQP ``basic.qos`` (a kept
    connection's channel is open already; opening it was the round trip once)."""
    client = getattr(channel, "client", None)  # kombu's Redis channel
    if client is not None:
        client.ping()
    else:
        channel.basic_qos(prefetch_size=0, prefetch_count=0, a_global=False)


@runs_apart
def broker_check() -> dict[str, Any]:
    """A round trip to the broker on the checks' connection (a new one is the AMQP
    handshake or a Redis connection first)."""
    try:
        with _broker_channel() as (connection, channel):
            _round_trip(channel)
            transport = connection.transport_cls
    except Exception as exc:
        return {"name": "broker", "ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:200]}
    return {"name": "broker", "ok": True, "transport": str(transport)}


@runs_apart
def consumer_check() -> dict[str, Any]:
    """Consumer lag: events waiting in this service's queue, and events parked."""
    queue = settings.EVENTS_CONSUMER_QUEUE
    with _broker_channel() as (connection, channel):
        try:
            waiting = channel.queue_declare(queue=queue, passive=True).message_count
        except connection.channel_errors:
            waiting = 0  # not declared yet; on Redis, a queue with nothing in it
    parked = DeadLetter.objects.filter(replayed_at__isnull=True).count()
    return {"name": "consumer", "ok": True, "queue": queue, "waiting": waiting, "parked": parked}


def outbox_check() -> dict[str, Any]:
    """Reports the backlog; a backlog alone does not make the service unready."""
    return {"name": "outbox", "ok": True, **pending_stats()}
