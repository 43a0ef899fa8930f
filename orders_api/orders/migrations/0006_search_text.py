"""The folded search text (common.localization.search) of orders and of the client and product
copies, filled for the rows there are, and on PostgreSQL their trigram indexes."""

from django.db import migrations

import common.localization.search


def _field():
    return common.localization.search.SearchTextField(
        blank=True, default="", editable=False, verbose_name="search text"
    )


def _client_texts(client):
    return [
        client.name,
        client.document,
        *(
            address.get(key, "")
            for address in client.addresses
            for key in ("district", "city")
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_order_number_sequence"),
    ]

    operations = [
        migrations.AddField(model_name="clientsnapshot", name="search_text", field=_field()),
        migrations.AddField(model_name="order", name="search_text", field=_field()),
        migrations.AddField(model_name="productsnapshot", name="search_text", field=_field()),
        common.localization.search.fill_search_text("orders.ClientSnapshot", _client_texts),
        common.localization.search.fill_search_text("orders.Order", lambda order: [order.client_name]),
        common.localization.search.fill_search_text(
            "orders.ProductSnapshot", lambda product: [product.name, product.sku]
        ),
        common.localization.search.trigram_index("orders.ClientSnapshot", "orders_clientsnapshot_search_trgm"),
        common.localization.search.trigram_index("orders.Order", "orders_order_search_trgm"),
        common.localization.search.trigram_index(
            "orders.ProductSnapshot", "orders_productsnapshot_search_trgm"
        ),
    ]
