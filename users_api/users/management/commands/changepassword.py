"""``manage.py changepassword``, in place of django.contrib.auth's: Django's saves the
user outside a transaction, which users_api refuses (its change event could be lost),
and leaves the user's logins open. This one sets the password as the admin's "set
password" does, through ``users.services.user_password_set``."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.auth.actors import Actor
from users.models import User
from users.services import user_password_set

ATTEMPTS = 3
#: Who sets the password: whoever runs manage.py on the server already holds the database.
COMMAND_ACTOR = Actor(id="manage.py", username="manage.py changepassword", is_superuser=True)


class Command(BaseCommand):
    help = (
        "Set a user's password (asked twice, checked by the password validators); every "
        "login of the user ends and their tokens are revoked."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "username",
            nargs="?",
            help="Whose password (default: the operating system's user name).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"] or getpass.getuser()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"user '{username}' does not exist") from None
        self.stdout.write(f"Changing password for user '{user.username}'")
        for _ in range(ATTEMPTS):
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("Passwords do not match. Please try again.")
                continue
            try:
                user_password_set(actor=COMMAND_ACTOR, user_id=user.pk, password=password)
            except ValidationError as exc:
                self.stderr.write("\n".join(exc.messages))
                continue
            self.stdout.write(
                f"Password changed for user '{user.username}'; their logins were ended."
            )
            return
        raise CommandError(f"password not changed for '{user.username}' after {ATTEMPTS} attempts")
