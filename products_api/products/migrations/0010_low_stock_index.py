"""The partial index of the active products at or below their minimum (the stock panel's)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0009_product_import"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(
                    ("is_active", True), ("stock_quantity__lte", models.F("min_quantity"))
                ),
                fields=["name"],
                name="products_low_stock_idx",
            ),
        ),
    ]
