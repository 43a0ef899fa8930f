"""Who receives what: the one table of queues and bindings on the ``events`` exchange.

kombu's Redis transport silently drops a message that no queue is bound for,
so every publisher and every worker declares the whole table when it connects:
an event published before its consumer ever ran still waits in its queue.
"""

from __future__ import annotations

from django.conf import settings
from kombu import Connection, Exchange, Queue, binding

EXCHANGE_NAME = "events"

#: queue -> routing-key patterns bound to it. A service consumes only its own queue, and
#: its queue is bound to what it handles: any other event would still travel to it and
#: cost its worker a task before being ignored.
TOPOLOGY: dict[str, tuple[str, ...]] = {
    "clients_api.events": ("users.user.*",),
    "orders_api.events": ("clients.#", "products.#", "users.user.*"),
    "products_api.events": ("orders.order.*", "users.user.*"),
}

EXCHANGE = Exchange(EXCHANGE_NAME, type="topic", durable=True)


def table() -> dict[str, tuple[str, ...]]:
    """TOPOLOGY, or the table a test project sets in ``EVENTS_TOPOLOGY``."""
    return getattr(settings, "EVENTS_TOPOLOGY", None) or TOPOLOGY


def queue(name: str) -> Queue:
    patterns = table()[name]
    return Queue(
        name,
        bindings=[binding(EXCHANGE, routing_key=pattern) for pattern in patterns],
        durable=True,
        queue_arguments=getattr(settings, "EVENTS_QUEUE_ARGUMENTS", None) or None,
    )


def routes_to(name: str, event_type: str) -> bool:
    """Whether the topic exchange delivers ``event_type`` to queue ``name``: ``*`` is one
    word of the routing key, ``#`` zero or more."""
    return any(_matches(pattern.split("."), event_type.split(".")) for pattern in table()[name])


def _matches(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_matches(rest, words[skip:]) for skip in range(len(words) + 1))
    return bool(words) and head in ("*", words[0]) and _matches(rest, words[1:])


def declare(connection: Connection) -> None:
    """Declares the topic exchange and every queue with its bindings (idempotent)."""
    channel = connection.default_channel
    EXCHANGE(channel).declare()
    for name in table():
        queue(name)(channel).declare()
