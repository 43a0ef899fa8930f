"""users_api publishes and consumes nothing: it has no outbox, inbox or dead letters."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

EVENT_TABLES = {"common_outboxevent", "common_inboxevent", "common_deadletter"}


def test_the_events_app_is_not_installed():
    assert not apps.is_installed("common.events")


@pytest.mark.django_db
def test_a_fresh_database_has_no_event_tables():
    assert not EVENT_TABLES & set(connection.introspection.table_names())


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_before_the_events_app_loses_its_unused_event_tables():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("common", "0004_inbox_received_at_index")])
    assert set(connection.introspection.table_names()) >= EVENT_TABLES
    MigrationExecutor(connection).migrate(latest)
    assert not EVENT_TABLES & set(connection.introspection.table_names())


@pytest.mark.django_db
def test_the_scheduler_still_prunes_idempotency_keys():
    from common import scheduler

    assert [job.name for job in scheduler.jobs()] == ["prune_idempotency_keys"]
    assert scheduler.run_due(log=lambda line: None) == ["prune_idempotency_keys"]
