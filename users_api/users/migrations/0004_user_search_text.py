"""The users' folded search text (common.search), filled for the users there are, and on
PostgreSQL its trigram index."""

from django.db import migrations

import common.search


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0003_people_messages_for_duplicates"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="search_text",
            field=common.search.SearchTextField(
                blank=True, default="", editable=False, verbose_name="search text"
            ),
        ),
        common.search.fill_search_text(
            "users.User",
            lambda user: [user.username, user.email, user.first_name, user.last_name],
        ),
        common.search.trigram_index("users.User", "users_user_search_trgm"),
    ]
