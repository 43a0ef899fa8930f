"""The outbox table wakes the relay itself: a statement-level trigger sends
``NOTIFY common_outbox`` for every INSERT into it (PostgreSQL only), delivered when the
inserting transaction commits. Recording no longer sends its own ``NOTIFY``: one round
trip less for every write that records an event."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION common_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('common_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER common_outbox_notify AFTER INSERT ON common_outboxevent
FOR EACH STATEMENT EXECUTE FUNCTION common_outbox_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS common_outbox_notify ON common_outboxevent;
DROP FUNCTION IF EXISTS common_outbox_notify();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("events", "0002_outbox_envelope_field")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
