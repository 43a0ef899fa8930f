"""The Celery consumer of a worker whose queue is a RabbitMQ quorum queue.

Celery adds its native delayed delivery to any worker that consumes a quorum queue:
at every (re)connection it declares 28 exchanges and quorum queues and binds the
worker's queues to them, on every node listed in ``BROKER_URL``, retrying each dead
node for 9 s. The events never use it: a handler's retry is republished to the
default (direct) exchange, which Celery's delayed delivery does not serve, so the
worker holds it until its countdown as on any queue. Without that step a worker
whose node died consumes from a live node at once (the drill measured 18 s of
silence with it).
"""

from __future__ import annotations

from celery.worker.consumer import Consumer

DELAYED_DELIVERY = "celery.worker.consumer.delayed_delivery:DelayedDelivery"


class QuorumQueueConsumer(Consumer):
    class Blueprint(Consumer.Blueprint):
        default_steps = [s for s in Consumer.Blueprint.default_steps if s != DELAYED_DELIVERY]
