"""Reservations (issue #37): stock_status says what products_api answered about an
order's stock, open orders included; product copies carry what is available.

Existing orders: an open one (``none``) is ``pending`` (``manage.py
request_reservations`` asks products_api at once; the sweep would too); a finished
one keeps ``pending`` / ``issued``, and ``rejected`` becomes ``refused``; a
cancelled one holds nothing: ``released``. Each is asked at its current version.
A product copy's ``available`` starts as its stock (nothing was held before).
"""

from django.db import migrations, models
from django.db.models import Case, F, Value, When


def forwards(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Order.objects.update(
        stock_status=Case(
            When(status="cancelled", then=Value("released")),
            When(stock_status="none", then=Value("pending")),
            When(stock_status="rejected", then=Value("refused")),
            default=F("stock_status"),
        ),
        stock_asked_version=F("version"),
    )
    ProductSnapshot = apps.get_model("orders", "ProductSnapshot")
    ProductSnapshot.objects.update(available=F("stock_quantity"))


def backwards(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Order.objects.update(
        stock_status=Case(
            When(status="open", then=Value("none")),
            When(status="cancelled", stock_status="released", then=Value("none")),
            When(stock_status="refused", then=Value("rejected")),
            When(stock_status="reserved", then=Value("pending")),
            default=F("stock_status"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_search_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="stock_asked_version",
            field=models.PositiveIntegerField(
                default=1,
                editable=False,
                help_text="The order's version products_api was last asked about its stock.",
                verbose_name="stock asked at version",
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="stock_reason",
            field=models.CharField(
                blank=True,
                help_text="Why products_api refused the stock, if it did.",
                max_length=500,
                verbose_name="stock refusal reason",
            ),
        ),
        migrations.AddField(
            model_name="productsnapshot",
            name="available",
            field=models.PositiveIntegerField(
                default=0,
                help_text="The stock less what open orders hold: what can be promised.",
                verbose_name="available",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AlterField(
            model_name="order",
            name="stock_status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("reserved", "Reserved"),
                    ("refused", "Refused"),
                    ("issued", "Issued"),
                    ("released", "Released"),
                ],
                default="pending",
                max_length=10,
                verbose_name="stock status",
            ),
        ),
    ]
