"""The products' folded search text (common.localization.search), filled for the products there are,
and on PostgreSQL its trigram index."""

from django.db import migrations

import common.localization.search


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0003_translated_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="search_text",
            field=common.localization.search.SearchTextField(
                blank=True, default="", editable=False, verbose_name="search text"
            ),
        ),
        common.localization.search.fill_search_text(
            "products.Product", lambda product: [product.name, product.sku]
        ),
        common.localization.search.trigram_index("products.Product", "products_product_search_trgm"),
    ]
