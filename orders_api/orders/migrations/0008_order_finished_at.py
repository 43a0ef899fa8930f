"""When each order was finished, for the sales panel (orders.selectors), taken for the
orders finished before from their status history; and the panel's indexes."""

from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def _finished_at_from_history(apps, schema_editor):
    # A bookkeeping column that no event carries: one UPDATE, nothing to publish.
    Order = apps.get_model("orders", "Order")
    OrderStatusChange = apps.get_model("orders", "OrderStatusChange")
    finished = (
        OrderStatusChange.objects.filter(order=OuterRef("pk"), to_status="finished")
        .values("order")
        .annotate(at=Max("changed_at"))
        .values("at")
    )
    Order.objects.filter(status__in=["finished", "cancelled"]).update(
        finished_at=Subquery(finished)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_stock_reservations"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="finished_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="finished at"
            ),
        ),
        migrations.RunPython(_finished_at_from_history, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["created_at"], name="orders_created_idx"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["status", "finished_at"], name="orders_finished_idx"),
        ),
    ]
