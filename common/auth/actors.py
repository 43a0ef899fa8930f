"""Who performs a write: the keyword-only ``actor`` of every write use-case, as
Zulip's ``acting_user``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.auth.access import TokenUser
from common.auth.admin_sign_in import account_permissions


@dataclass(frozen=True)
class Actor:
    """``id`` and ``username`` are what services record; ``is_superuser``,
    ``is_staff`` and ``permissions`` (the effective codes) are what users_api
    decides with."""

    id: str
    username: str
    is_superuser: bool = False
    permissions: frozenset[str] = frozenset()
    is_staff: bool = False


def actor_of(user: Any) -> Actor:
    """The request's user as an Actor, for the API and the admin alike.

    A ``TokenUser`` (an API call, by token or admin session) brings its token's
    facts; an account signed in to the admin brings its own, with the codes
    the admin's authentication backend gives it.
    """
    if isinstance(user, TokenUser):
        return Actor(
            id=str(user.id),
            username=user.username,
            is_superuser=bool(user.is_superuser),
            permissions=user.permissions,
            is_staff=bool(user.is_staff),
        )
    return Actor(
        id=str(user.pk),
        username=user.get_username(),
        is_superuser=user.is_active and user.is_superuser,
        permissions=account_permissions(user),
        is_staff=user.is_active and user.is_staff,
    )
