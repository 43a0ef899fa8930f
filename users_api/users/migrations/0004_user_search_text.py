"""The users' folded search text (common.localization.search), filled for the users there are, and on
PostgreSQL its trigram index."""

from django.db import migrations

import common.localization.search


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0003_people_messages_for_duplicates"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="search_text",
            field=common.localization.search.SearchTextField(
                blank=True, default="", editable=False, verbose_name="search text"
            ),
        ),
        common.localization.search.fill_search_text(
            "users.User",
            lambda user: [user.username, user.email, user.first_name, user.last_name],
        ),
        common.localization.search.trigram_index("users.User", "users_user_search_trgm"),
    ]
