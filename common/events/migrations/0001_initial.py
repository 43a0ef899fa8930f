"""The outbox, inbox and dead-letter tables, until now the ``common`` app's (its 0005
forgets them): declared here on the same tables, created only where they do not exist.

A database migrated before the split keeps its tables and their rows; a fresh one got
them from ``common``'s first migrations (0005 keeps them where this app is installed).
Backwards, the tables stay for ``common`` to take back.
"""

import django.core.serializers.json
from django.db import migrations, models

MODELS = ("OutboxEvent", "InboxEvent", "DeadLetter")


def create_unless_present(apps, schema_editor):
    present = set(schema_editor.connection.introspection.table_names())
    for name in MODELS:
        model = apps.get_model("events", name)
        if model._meta.db_table not in present:
            schema_editor.create_model(model)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("common", "0005_event_tables_move_to_events"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DeadLetter",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("event_id", models.UUIDField(unique=True)),
                        ("type", models.CharField(max_length=150)),
                        (
                            "envelope",
                            models.JSONField(
                                encoder=django.core.serializers.json.DjangoJSONEncoder
                            ),
                        ),
                        ("error", models.TextField()),
                        ("attempts", models.PositiveIntegerField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("replayed_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "common_deadletter",
                        "ordering": ["id"],
                    },
                ),
                migrations.CreateModel(
                    name="InboxEvent",
                    fields=[
                        ("event_id", models.UUIDField(primary_key=True, serialize=False)),
                        ("type", models.CharField(max_length=150)),
                        ("source", models.CharField(max_length=50)),
                        ("aggregate_id", models.CharField(max_length=64)),
                        ("version", models.PositiveIntegerField()),
                        ("received_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                    options={
                        "db_table": "common_inboxevent",
                    },
                ),
                migrations.CreateModel(
                    name="OutboxEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("event_id", models.UUIDField(unique=True)),
                        ("type", models.CharField(max_length=150)),
                        ("aggregate_type", models.CharField(max_length=100)),
                        ("aggregate_id", models.CharField(max_length=64)),
                        ("version", models.PositiveIntegerField()),
                        (
                            "envelope",
                            models.JSONField(
                                encoder=django.core.serializers.json.DjangoJSONEncoder
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        (
                            "repeat",
                            models.BooleanField(
                                default=False,
                                help_text="A re-publication of the aggregate's current state (sweep or snapshots), not a change.",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "common_outboxevent",
                        "ordering": ["id"],
                        "indexes": [
                            models.Index(fields=["sent_at"], name="common_outbox_sent_at_idx"),
                            models.Index(
                                condition=models.Q(("sent_at__isnull", True)),
                                fields=["id"],
                                name="common_outbox_pending_idx",
                            ),
                            models.Index(
                                condition=models.Q(("sent_at__isnull", True)),
                                fields=["aggregate_type", "aggregate_id", "id"],
                                name="common_outbox_pending_agg_idx",
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(create_unless_present, migrations.RunPython.noop),
    ]
