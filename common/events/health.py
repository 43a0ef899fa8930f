"""The readiness checks of a service with events (``settings.READINESS_CHECKS``, see
``common.settings.events.readiness_checks``): the broker, the outbox's backlog and the
consumer's queue. ``common.operations.health`` runs them as it runs any check.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from kombu import Connection

from common.events.models import DeadLetter
from common.events.relay import pending_stats
from common.events.transport import bounded_transport_options
from common.operations.health import check_timeout


def _broker_connection() -> Any:
    """A new connection (not the publisher's) whose every wait ends within the timeout."""
    timeout = check_timeout()
    options = bounded_transport_options(timeout)
    return Connection(settings.BROKER_URL, connect_timeout=timeout, transport_options=options)


def broker_check() -> dict[str, Any]:
    """Connects and opens a channel: the AMQP handshake, or a Redis PING."""
    try:
        with _broker_connection() as connection:
            connection.ensure_connection(max_retries=0)  # one attempt: a retry waits seconds
            connection.default_channel  # noqa: B018 - a round trip on every transport
            transport = connection.transport_cls
    except Exception as exc:
        return {"name": "broker", "ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:200]}
    return {"name": "broker", "ok": True, "transport": str(transport)}


def consumer_check() -> dict[str, Any]:
    """Consumer lag: events waiting in this service's queue, and events parked."""
    queue = settings.EVENTS_CONSUMER_QUEUE
    with _broker_connection() as connection:
        connection.ensure_connection(max_retries=0)
        channel = connection.default_channel
        try:
            waiting = channel.queue_declare(queue=queue, passive=True).message_count
        except connection.channel_errors:
            waiting = 0  # not declared yet; on Redis, a queue with nothing in it
    parked = DeadLetter.objects.filter(replayed_at__isnull=True).count()
    return {"name": "consumer", "ok": True, "queue": queue, "waiting": waiting, "parked": parked}


def outbox_check() -> dict[str, Any]:
    """Reports the backlog; a backlog alone does not make the service unready."""
    return {"name": "outbox", "ok": True, **pending_stats()}
