"""Usernames become unique regardless of case (``ADMIN`` is taken when ``admin`` is).

A database holding names that differ only in case cannot take the constraint: the
migration stops before adding it and names them, so an operator renames (or
deactivates and renames) all but one of each group and runs it again.
"""

from collections import defaultdict

import django.db.models.functions.text
from django.db import migrations, models


def refuse_existing_clashes(apps, schema_editor):
    User = apps.get_model("users", "User")
    by_lowered = defaultdict(list)
    for username in User.objects.using(schema_editor.connection.alias).values_list(
        "username", flat=True
    ):
        by_lowered[username.lower()].append(username)
    clashes = sorted(sorted(names) for names in by_lowered.values() if len(names) > 1)
    if clashes:
        groups = "; ".join(", ".join(names) for names in clashes)
        raise RuntimeError(
            "Usernames must be unique regardless of case, and these differ only in case: "
            f"{groups}. Rename all but one of each group, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0005_user_tokens_revoked_at"),
    ]

    operations = [
        migrations.RunPython(refuse_existing_clashes, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("username"),
                name="users_user_username_ci_unique",
                violation_error_message="A user with this username already exists.",
            ),
        ),
    ]
