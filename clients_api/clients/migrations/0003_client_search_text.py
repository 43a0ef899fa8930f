"""The clients' folded search text (common.localization.search), filled for the clients there are,
and on PostgreSQL its trigram index."""

from django.db import migrations

import common.localization.search


def _texts(client):
    addresses = client.addresses.all()
    return [
        client.name,
        client.document,
        client.email,
        *(text for address in addresses for text in (address.district, address.city)),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_translated_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="search_text",
            field=common.localization.search.SearchTextField(
                blank=True, default="", editable=False, verbose_name="search text"
            ),
        ),
        common.localization.search.fill_search_text("clients.Client", _texts, prefetch=("addresses",)),
        common.localization.search.trigram_index("clients.Client", "clients_client_search_trgm"),
    ]
