"""What the use-cases on accounts share: a new password's checks, saving a user against
the unique username and email, and ending logins.

These are steps, not use-cases: they run inside the calling use-case's transaction.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from common.services import save_unique
from users.models import LoginSession, User


def validate_new_password(password: str, user: User) -> None:
    """Raises ValidationError keyed ``password`` when Django's validators refuse it."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def save_user(user: User) -> None:
    """Full validation, then save; a concurrent duplicate is still refused by the constraints.

    Raises ValidationError (keyed by field) for a bad value or a username or email
    (case-insensitively) another user has.
    """
    save_unique(
        user,
        unique={
            "username": gettext("A user with this username already exists."),
            "email__iexact": gettext("A user with this email already exists."),
        },
        conflict=("username", gettext("A user with this username or email already exists.")),
        exclude=["password"],
    )


def end_login(session: LoginSession, reason: str) -> None:
    """Ends a login: none of its refresh tokens works any more."""
    session.revoked_at = timezone.now()
    session.revoked_reason = reason
    session.save(update_fields=["revoked_at", "revoked_reason"])


def end_logins(user: User, reason: str) -> None:
    """Ends every login of ``user`` still open."""
    for session in LoginSession.objects.filter(user=user, revoked_at__isnull=True):
        end_login(session, reason)
