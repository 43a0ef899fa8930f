"""Order numbers from a PostgreSQL sequence instead of the counter row (docs/adr/0098-order-numbers-from-a-sequence.md).

The sequence starts after the highest number an order or the counter has. SQLite
(development) needs nothing: it numbers orders by the highest number + 1.
"""

from django.db import migrations

SEQUENCE = "orders_order_number_seq"


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE SEQUENCE {SEQUENCE} AS bigint OWNED BY orders_order.number")
    schema_editor.execute(
        f"SELECT setval('{SEQUENCE}', GREATEST((SELECT MAX(number) FROM orders_order),"
        " (SELECT MAX(last) FROM orders_ordernumber), 0) + 1, false)"
    )


def drop_sequence(apps, schema_editor):
    """Back to the counter row, at the highest number handed out."""
    Order = apps.get_model("orders", "Order")
    highest = Order.objects.order_by("-number").values_list("number", flat=True).first()
    apps.get_model("orders", "OrderNumber").objects.create(pk=1, last=highest or 0)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_translated_labels")]

    operations = [
        migrations.RunPython(create_sequence, drop_sequence),
        migrations.DeleteModel(name="OrderNumber"),
    ]
