"""The outbox, inbox and dead-letter tables become the common.events app's.

State: ``common`` forgets the three models; ``events`` 0001 declares them again, on the
same tables. Database: where the events app is installed the tables stay, with their
rows, and ``events`` adopts them; where it is not (users_api) nothing ever used them and
they are dropped, so such a service has no event tables, fresh or migrated.
"""

from django.apps import apps as installed
from django.db import migrations

MODELS = ("OutboxEvent", "InboxEvent", "DeadLetter")


def drop_unless_events_installed(apps, schema_editor):
    if installed.is_installed("common.events"):
        return
    for name in MODELS:
        schema_editor.delete_model(apps.get_model("common", name))


def create_unless_present(apps, schema_editor):
    """Backwards: the tables ``common`` had, where they are gone."""
    present = set(schema_editor.connection.introspection.table_names())
    for name in MODELS:
        model = apps.get_model("common", name)
        if model._meta.db_table not in present:
            schema_editor.create_model(model)


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0004_inbox_received_at_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_unless_events_installed, create_unless_present),
            ],
            state_operations=[migrations.DeleteModel(name) for name in MODELS],
        ),
    ]
