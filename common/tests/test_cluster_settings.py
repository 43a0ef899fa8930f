"""Settings for running beyond one machine: PgBouncer's transaction mode, the relay's
direct connection, quorum queues (docs/operations.md: "Running on more than one machine")."""

import pytest
from amqp.exceptions import PreconditionFailed
from celery.worker.consumer import Consumer
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from kombu import Connection
from kombu.exceptions import OperationalError
from kombu.utils.imports import symbol_by_name

from common.events import relay, topology, transport
from common.events.models import DeadLetter
from common.events.quorum import DELAYED_DELIVERY
from common.settings import environment
from common.testing import unavailable
from common.tests.conftest import AMQP_URL, QUEUE, _answers, queued_messages, wait_until
from common.tests.test_events import _applied, _create
from common.tests.test_settings import fresh_settings

POSTGRES = "postgres://app@db.example:5432/orders_api"
POOLED = "postgres://app@pgbouncer.example:6432/orders_api"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    for name in (
        "DATABASE_URL",
        "ORDERS_API_DATABASE_URL",
        "ORDERS_API_DIRECT_DATABASE_URL",
        "DATABASE_POOL_MODE",
        "BROKER_URL",
        "BROKER_QUEUE_TYPE",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_transaction_pooling_turns_off_what_outlives_a_transaction(clean_env):
    clean_env.setenv("DATABASE_URL", POOLED)
    clean_env.setenv("DATABASE_POOL_MODE", "transaction")
    config = environment.database("orders_api")
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert config["OPTIONS"]["prepare_threshold"] is None
    # An unnamed statement does not outlive its transaction: values stay bound apart.
    assert config["OPTIONS"]["server_side_binding"] is True


def test_session_mode_keeps_server_side_cursors_and_prepares_statements(clean_env):
    clean_env.setenv("DATABASE_URL", POSTGRES)
    config = environment.database("orders_api")
    assert not config.get("DISABLE_SERVER_SIDE_CURSORS")
    assert config["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_the_database_url_can_turn_server_binding_off(clean_env):
    clean_env.setenv("DATABASE_URL", POSTGRES + "?server_side_binding=false&prepare_threshold=20")
    config = environment.database("orders_api")
    assert config["OPTIONS"] == {"server_side_binding": False, "prepare_threshold": 20}


def test_an_unknown_pool_mode_is_refused(clean_env):
    clean_env.setenv("DATABASE_URL", POSTGRES)
    clean_env.setenv("DATABASE_POOL_MODE", "statement")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOL_MODE"):
        environment.database("orders_api")


def test_the_relay_listens_on_the_direct_url_past_the_pooler(clean_env):
    clean_env.setenv("DATABASE_URL", POOLED)
    clean_env.setenv("DATABASE_POOL_MODE", "transaction")
    assert environment.listen_database_url("orders_api") is None
    clean_env.setenv("ORDERS_API_DIRECT_DATABASE_URL", POSTGRES)
    assert environment.listen_database_url("orders_api") == POSTGRES


def test_without_a_pooler_the_relay_listens_on_the_service_database(clean_env):
    clean_env.setenv("ORDERS_API_DATABASE_URL", POSTGRES)
    assert environment.listen_database_url("orders_api") == POSTGRES
    clean_env.setenv("ORDERS_API_DATABASE_URL", "sqlite:////tmp/db.sqlite3")
    assert environment.listen_database_url("orders_api") is None


def test_quorum_queues_are_declared_with_their_type(clean_env, settings):
    clean_env.setenv("BROKER_URL", "amqp://guest:guest@rabbitmq:5672//")
    clean_env.setenv("BROKER_QUEUE_TYPE", "quorum")
    values = fresh_settings("common.settings.events")
    assert values.EVENTS_QUEUE_ARGUMENTS == {"x-queue-type": "quorum"}
    assert values.CELERY_BROKER_TRANSPORT_OPTIONS["confirm_publish"] is True
    settings.EVENTS_QUEUE_ARGUMENTS = values.EVENTS_QUEUE_ARGUMENTS
    assert topology.queue("common_tests.events").queue_arguments == {"x-queue-type": "quorum"}


def test_classic_queues_are_the_default(clean_env, settings):
    clean_env.setenv("BROKER_URL", "amqp://guest:guest@rabbitmq:5672//")
    values = fresh_settings("common.settings.events")
    assert values.EVENTS_QUEUE_ARGUMENTS == {}
    settings.EVENTS_QUEUE_ARGUMENTS = values.EVENTS_QUEUE_ARGUMENTS
    assert topology.queue("common_tests.events").queue_arguments is None


@pytest.mark.parametrize(
    ("broker", "queue_type", "message"),
    [
        ("amqp://guest:guest@rabbitmq:5672//", "stream", "classic or quorum"),
        ("redis://127.0.0.1:6379/0", "quorum", "needs a RabbitMQ"),
    ],
)
def test_a_queue_type_the_broker_cannot_give_is_refused(clean_env, broker, queue_type, message):
    clean_env.setenv("BROKER_URL", broker)
    clean_env.setenv("BROKER_QUEUE_TYPE", queue_type)
    with pytest.raises(ImproperlyConfigured, match=message):
        fresh_settings("common.settings.events")


def test_rabbitmq_declares_the_consuming_queue_as_a_quorum_queue(settings):
    """RabbitMQ refuses to redeclare a queue with another type, so a classic declaration
    of the queue just declared is refused exactly when the first made it a quorum queue."""
    if not _answers(AMQP_URL):
        unavailable(f"RabbitMQ does not answer at {AMQP_URL}")
    settings.EVENTS_TOPOLOGY = {"common_tests.quorum": ("testapp.#",)}
    with Connection(AMQP_URL, connect_timeout=3) as conn:
        conn.default_channel.queue_delete("common_tests.quorum")
        try:
            settings.EVENTS_QUEUE_ARGUMENTS = {"x-queue-type": "quorum"}
            topology.declare(conn)
            settings.EVENTS_QUEUE_ARGUMENTS = {}
            with pytest.raises((PreconditionFailed, OperationalError), match="x-queue-type"):
                topology.declare(conn)
        finally:
            with Connection(AMQP_URL, connect_timeout=3) as cleanup:
                cleanup.default_channel.queue_delete("common_tests.quorum")


def test_quorum_queue_workers_skip_celery_delayed_delivery(clean_env):
    """Its setup retries every dead node of BROKER_URL for seconds at each reconnection,
    and the events' retries never use it (they go to the default exchange)."""
    clean_env.setenv("BROKER_URL", "amqp://guest:guest@rabbitmq:5672//")
    clean_env.setenv("BROKER_QUEUE_TYPE", "quorum")
    values = fresh_settings("common.settings.events")
    consumer = symbol_by_name(values.CELERY_WORKER_CONSUMER)
    assert DELAYED_DELIVERY in Consumer.Blueprint.default_steps
    assert DELAYED_DELIVERY not in consumer.Blueprint.default_steps
    clean_env.setenv("BROKER_QUEUE_TYPE", "classic")
    values = fresh_settings("common.settings.events")
    assert not hasattr(values, "CELERY_WORKER_CONSUMER")


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_a_quorum_queue_retries_applies_and_parks(settings, start_worker):
    """A real worker on a quorum queue: a failing handler is retried with its backoff and
    parked; a good event is applied."""
    if not _answers(AMQP_URL):
        unavailable(f"RabbitMQ does not answer at {AMQP_URL}")
    settings.BROKER_URL = AMQP_URL
    settings.EVENTS_QUEUE_ARGUMENTS = {"x-queue-type": "quorum"}
    with Connection(AMQP_URL, connect_timeout=3) as conn:
        conn.default_channel.queue_delete(QUEUE)
        topology.declare(conn)
    try:
        failing, good = _create("explode"), _create("fine")
        while relay.relay_pending():  # what relay_outbox does: the request publishes nothing
            pass
        start_worker(
            AMQP_URL,
            BROKER_QUEUE_TYPE="quorum",
            EVENTS_MAX_ATTEMPTS="3",
            EVENTS_RETRY_BASE_SECONDS="0.1",
        )
        wait_until(lambda: _applied(good) == [1], 30, "the good event applied")
        wait_until(lambda: DeadLetter.objects.exists(), 30, "parked after 3 attempts")
        assert DeadLetter.objects.get().attempts == 3
        assert _applied(failing) == []
        assert queued_messages(AMQP_URL) == 0
    finally:
        transport.publisher().close()
        with Connection(AMQP_URL, connect_timeout=3) as conn:
            conn.default_channel.queue_delete(QUEUE)


def test_deployment_checks_warn_when_the_cache_is_one_process_memory(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    found = [m.id for m in run_checks(include_deployment_checks=True, tags=["caches"])]
    assert "common.W001" in found
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    found = [m.id for m in run_checks(include_deployment_checks=True, tags=["caches"])]
    assert "common.W001" not in found
