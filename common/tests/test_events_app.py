"""The event tables as the common.events app's: a database migrated before the app
existed keeps its rows."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from common.events.models import DeadLetter, InboxEvent, OutboxEvent

BEFORE_THE_SPLIT = [("common", "0004_inbox_received_at_index")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def test_a_database_migrated_before_the_split_keeps_its_event_rows():
    executor = _migrate(BEFORE_THE_SPLIT)
    latest = executor.loader.graph.leaf_nodes()
    old = executor.loader.project_state(BEFORE_THE_SPLIT).apps
    event_id = uuid.uuid4()
    old.get_model("common", "OutboxEvent").objects.create(
        event_id=event_id,
        type="testapp.widget.created",
        aggregate_type="testapp.widget",
        aggregate_id="1",
        version=1,
        envelope={"id": str(event_id)},
    )
    old.get_model("common", "InboxEvent").objects.create(
        event_id=event_id, type="t", source="s", aggregate_id="1", version=1
    )
    old.get_model("common", "DeadLetter").objects.create(
        event_id=event_id, type="t", envelope={}, error="e", attempts=5
    )

    _migrate(latest)

    assert OutboxEvent.objects.get().event_id == event_id
    assert InboxEvent.objects.get().event_id == event_id
    assert DeadLetter.objects.get().event_id == event_id
    # Still the same tables, with the indexes the relay's queries need.
    constraints = connection.introspection.get_constraints(
        connection.cursor(), "common_outboxevent"
    )
    assert {"common_outbox_pending_idx", "common_outbox_pending_agg_idx"} <= set(constraints)


def test_a_fresh_database_ends_with_the_event_tables_under_the_events_app():
    executor = _migrate([("common", None)])
    tables = set(connection.introspection.table_names())
    assert not {"common_outboxevent", "common_inboxevent", "common_deadletter"} & tables
    _migrate(executor.loader.graph.leaf_nodes())
    tables = set(connection.introspection.table_names())
    assert {"common_outboxevent", "common_inboxevent", "common_deadletter"} <= tables
    OutboxEvent.objects.create(
        event_id=uuid.uuid4(),
        type="t",
        aggregate_type="a",
        aggregate_id="1",
        version=1,
        envelope={},
    )
