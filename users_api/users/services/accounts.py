"""What the use-cases on accounts share: a new password's checks, saving a user against
the unique username and email, ending logins and revoking tokens.

These are steps, not use-cases: they run inside the calling use-case's transaction.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from common.service_layer.services import save_unique
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
    another user has, compared case-insensitively (``ADMIN`` is taken when ``admin`` is).
    """
    save_unique(
        user,
        unique={
            "username__iexact": gettext("A user with this username already exists."),
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


def revoke_tokens(user: User) -> None:
    """Marks every access token and admin session of ``user`` issued until now as revoked:
    every service refuses them once the user's event reaches it (common.auth.revocations).
    The caller saves the user, which publishes the change."""
    user.tokens_revoked_at = timezone.now()


def revoke_tokens_of(user_id: object) -> None:
    """``revoke_tokens`` of a user who is not otherwise changed (a logout, a reused
    refresh token): locks, marks and saves the user, publishing one event."""
    user = User.objects.select_for_update().get(pk=user_id)
    revoke_tokens(user)
    user.save(update_fields=["tokens_revoked_at"])


def end_logins(user: User, reason: str) -> None:
    """Ends every login of ``user`` still open."""
    for session in LoginSession.objects.filter(user=user, revoked_at__isnull=True):
        end_login(session, reason)
