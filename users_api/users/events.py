"""What users_api publishes: each user's state (``users.user.*``), secrets left out, on
every change; the other services end the user's sessions and refuse their older tokens
from it (common.auth.revocations). users_api applies the same state to its own revocations in
the change's transaction."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from common.auth import revocations
from common.events.recording import bookkeeping_only, publishes
from users.models import User


def user_data(user: User) -> dict[str, Any]:
    """The user as the API shows it, without the password hash and the grants (tokens
    carry the codes; no service keeps a copy of them)."""
    return {
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "tokens_revoked_at": (
            user.tokens_revoked_at.isoformat() if user.tokens_revoked_at else None
        ),
        "created_at": user.created_at.isoformat(),
        "updated_at": user.updated_at.isoformat(),
    }


def _revoke_here(
    sender: type[User], instance: User, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or (created and instance.is_active):
        return  # a fixture, or a new user with nothing to refuse
    if bookkeeping_only(sender, kwargs.get("update_fields")):
        return  # a last login: not a change
    revocations.revocation_apply(
        user_id=str(instance.pk), version=instance.version, state=user_data(instance)
    )


def register() -> None:
    publishes(
        User,
        type_prefix="users.user",
        to_data=user_data,
        deleted_when=lambda user: not user.is_active,
    )
    post_save.connect(_revoke_here, sender=User, dispatch_uid="users.revoke_here", weak=False)
