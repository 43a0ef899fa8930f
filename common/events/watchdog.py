"""A worker that can no longer take messages stops, for its supervisor to start it again.

kombu's Redis transport counts a message as held by the worker until its ack reaches
Redis. An ack that fails (a broker frozen past the socket timeout) is logged
("Couldn't ack") and never retried, and the message stays counted. Once as many acks
failed as the worker may hold (its prefetch), the worker runs nothing, holds nothing
and takes nothing, for good, while its process looks alive (celery/celery#2415). The
freeze drill (e2e/test_broker_freeze.py) caught it: orders_api's copies stopped.

``StuckChannelWatch``, a step of every events worker's consumer, looks every
``CHECK_SECONDS``: a channel that may take nothing more while no task is running or
reserved, twice in a row, makes the worker log an error and stop with exit status 1
(ADR 0152). Its supervisor (`make run`, Docker's restart policy, Kubernetes) starts it
again; the messages whose acks failed come back after the visibility timeout, and the
inbox drops what they had applied. RabbitMQ needs no such watch: a failed ack there is
a connection error, on which the consumer reconnects and counts afresh.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import bootsteps
from celery.platforms import EX_FAILURE
from celery.worker import state

logger = logging.getLogger("common.events.watchdog")

CHECK_SECONDS = 5.0
#: Consecutive checks that must find the worker stuck: one could fall between a task's
#: end and its ack.
STRIKES = 2


def stuck(consumer: Any) -> bool:
    """The consumer's channel may take no message while the worker runs and holds none
    (a channel without kombu's QoS count, as on AMQP, is never stuck this way)."""
    channel = getattr(getattr(consumer, "task_consumer", None), "channel", None)
    can_consume = getattr(getattr(channel, "qos", None), "can_consume", None)
    if can_consume is None or can_consume():
        return False
    return not state.active_requests and not state.reserved_requests


class StuckChannelWatch(bootsteps.StartStopStep):
    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry: Any = None
        self.strikes = 0

    def start(self, parent: Any) -> None:
        self.strikes = 0
        self.timer_entry = parent.timer.call_repeatedly(CHECK_SECONDS, self.check, (parent,))

    def stop(self, parent: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    def check(self, consumer: Any) -> None:
        self.strikes = self.strikes + 1 if stuck(consumer) else 0
        if self.strikes >= STRIKES:
            logger.error(
                "the worker holds no message and may take none (acks the broker never "
                "got); stopping with status %s for the supervisor to start it again",
                EX_FAILURE,
            )
            state.should_stop = EX_FAILURE
