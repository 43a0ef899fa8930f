"""The products' folded search text (common.search), filled for the products there are,
and on PostgreSQL its trigram index."""

from django.db import migrations

import common.search


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0003_translated_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="search_text",
            field=common.search.SearchTextField(
                blank=True, default="", editable=False, verbose_name="search text"
            ),
        ),
        common.search.fill_search_text(
            "products.Product", lambda product: [product.name, product.sku]
        ),
        common.search.trigram_index("products.Product", "products_product_search_trgm"),
    ]
