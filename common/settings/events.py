"""Broker and event settings of a service that publishes or consumes events: its settings
module star-imports this one after ``base``, installs ``common.events`` and sets its own
``EVENTS_CONSUMER_QUEUE`` (None when it consumes nothing), ``EVENTS_LISTEN_DATABASE_URL``
(``environment.listen_database_url(SERVICE_NAME)``) and ``READINESS_CHECKS``
(``readiness_checks(consuming=...)``).

``BROKER_URL`` defaults to the embedded broker's socket under var/broker/
(``python -m common.development.embedded_broker``); production requires it.
"""

from django.core.exceptions import ImproperlyConfigured

from common.development import embedded_broker
from common.settings.environment import (
    env_float,
    env_int,
    env_str,
    is_production,
    pool_mode,
    require,
)


def _broker_url() -> str:
    url = env_str("BROKER_URL").strip()
    if url:
        return url
    if is_production():
        require("BROKER_URL")
    return embedded_broker.url()


def _quorum() -> bool:
    queue_type = env_str("BROKER_QUEUE_TYPE", "classic").strip().lower()
    if queue_type not in {"classic", "quorum"}:
        raise ImproperlyConfigured(
            f"BROKER_QUEUE_TYPE must be classic or quorum, got {queue_type!r}"
        )
    if queue_type == "quorum" and not BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
        raise ImproperlyConfigured("BROKER_QUEUE_TYPE=quorum needs a RabbitMQ BROKER_URL (amqp://)")
    return queue_type == "quorum"


def _convergence_seconds() -> float:
    seconds = env_float("EVENTS_CONVERGENCE_SECONDS", 300.0)
    if seconds <= 0:
        raise ImproperlyConfigured(f"EVENTS_CONVERGENCE_SECONDS must be > 0, got {seconds}")
    return seconds


def readiness_checks(*, consuming: bool) -> list[str]:
    """``READINESS_CHECKS`` of a service with events; the consumer's only where it consumes."""
    return [
        "common.operations.health.database_check",
        "common.events.health.broker_check",
        "common.events.health.outbox_check",
        *(["common.events.health.consumer_check"] if consuming else []),
        "common.events.convergence.readiness_check",
    ]


BROKER_URL = _broker_url()
_quorum_queues = _quorum()
# Arguments every consuming queue is declared with: quorum queues are replicated
# over the RabbitMQ cluster's nodes and survive losing a minority of them.
EVENTS_QUEUE_ARGUMENTS = {"x-queue-type": "quorum"} if _quorum_queues else {}
# Behind a transaction pooler the relay LISTENs on a direct connection of its own.
DATABASE_POOL_MODE = pool_mode()
EVENTS_MAX_ATTEMPTS = env_int("EVENTS_MAX_ATTEMPTS", 5)
# A worker applies the event messages waiting in its queue together with the one it
# runs (common.events.waiting): at most this many more messages (0: none) and, once
# this many events are taken, no more.
EVENTS_TAKE_WAITING_MESSAGES = env_int("EVENTS_TAKE_WAITING_MESSAGES", 50)
EVENTS_TAKE_WAITING_EVENTS = env_int("EVENTS_TAKE_WAITING_EVENTS", 500)
EVENTS_RETRY_BASE_SECONDS = env_float("EVENTS_RETRY_BASE_SECONDS", 1.0)
EVENTS_RETRY_MAX_SECONDS = env_float("EVENTS_RETRY_MAX_SECONDS", 30.0)
EVENTS_BROKER_CONNECT_TIMEOUT = env_float("EVENTS_BROKER_CONNECT_TIMEOUT", 2.0)
# Every call the relay makes to the broker ends within this many seconds (socket reads
# and writes, a publish's confirm), so a frozen broker costs the relay a timeout per
# attempt, never an API write anything: the relay holds no transaction while it waits.
EVENTS_BROKER_TIMEOUT = env_float("EVENTS_BROKER_TIMEOUT", 2.0)
# How long the rows a relay claimed stay its own: a relay that dies mid-way leaves them
# to be claimed again after this. Well above the broker timeout of each message.
EVENTS_RELAY_LEASE_SECONDS = env_float("EVENTS_RELAY_LEASE_SECONDS", 30.0)
# A repeat that moves a copy forward is a repair only when the copy lagged longer than
# this, or when the original event has not reached the inbox this long after the repeat
# (a relay restarting delays events by seconds; it loses none).
EVENTS_REPAIR_AFTER_SECONDS = env_float("EVENTS_REPAIR_AFTER_SECONDS", 30.0)
# Every copy reaches its source's version within this many seconds, whatever the
# broker loses: the anti-entropy sweep runs every third of it (common.events.convergence).
EVENTS_CONVERGENCE_SECONDS = _convergence_seconds()
# Pruned by the scheduler: sent outbox rows, then inbox ids (longer than any
# redelivery could come back).
EVENTS_OUTBOX_KEEP_DAYS = env_float("EVENTS_OUTBOX_KEEP_DAYS", 7.0)
EVENTS_INBOX_KEEP_DAYS = env_float("EVENTS_INBOX_KEEP_DAYS", 30.0)

CELERY_BROKER_URL = BROKER_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message held by a worker that died comes back after this (Redis), found by
    # a sweep every 5 s (kombu's default sweeps only every 100 s).
    "visibility_timeout": env_int("EVENTS_VISIBILITY_TIMEOUT", 60),
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
    # A worker killed while restoring holds kombu's restore lock until it expires
    # (300 s by default), and nothing is restored meanwhile; a restore takes
    # milliseconds.
    "unacked_mutex_expire": 10,
    "socket_timeout": 10,
    "socket_connect_timeout": 3,
    # AMQP: publish returns only once the broker has the message.
    "confirm_publish": True,
    # Redis: no event carries a priority, so each queue is one list. With kombu's
    # four steps, a worker asking for the messages behind the one it runs made four
    # round trips (one per priority's list) to learn that none was left.
    "priority_steps": [0],
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if _quorum_queues:
    CELERY_WORKER_CONSUMER = "common.events.quorum:QuorumQueueConsumer"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_IMPORTS = ["common.events.consumer"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Handlers are short. A stuck one gets SoftTimeLimitExceeded (retried, then parked);
# one killed at the hard limit is not acknowledged, so the broker delivers it again.
# Keep the visibility timeout above the hard limit.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("EVENTS_HANDLER_TIME_LIMIT", 30)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 10
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = False
