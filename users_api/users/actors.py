"""Who is acting: the caller of a use-case, from a token (the API) or a session (the admin).

The services decide with three facts only (id, superuser flag, effective codes),
so the API and the admin apply the same rules to the same facts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from users.models import User
from users.selectors import user_effective_permission_codes


class Actor(Protocol):
    """What ``users.services`` need to know about the caller.

    ``common.auth.TokenUser`` (an API call) and ``AccountActor`` (an admin
    session) both fit.
    """

    @property
    def id(self) -> Any: ...

    @property
    def is_superuser(self) -> bool: ...

    @property
    def permissions(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class AccountActor:
    """A signed-in account as an actor, with the same effective codes its tokens carry."""

    id: uuid.UUID
    is_superuser: bool
    permissions: frozenset[str]


def actor_from_user(*, user: User) -> AccountActor:
    return AccountActor(
        id=user.pk,
        is_superuser=user.is_active and user.is_superuser,
        permissions=frozenset(user_effective_permission_codes(user=user)),
    )
