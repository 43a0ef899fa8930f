"""Helpers for the services' tests: tokens shaped exactly as users_api issues them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from common.auth import AccessToken


def access_token(
    *,
    permissions: Iterable[str] = (),
    is_superuser: bool = False,
    user_id: uuid.UUID | None = None,
    username: str = "tester",
    **claims: Any,
) -> str:
    """A signed access token with users_api's claims, for services that only verify."""
    token = AccessToken()
    subject = str(user_id or uuid.uuid4())
    token["user_id"] = subject
    token["sub"] = subject
    token["username"] = username
    token["is_superuser"] = is_superuser
    token["is_staff"] = False
    token["roles"] = []
    token["permissions"] = sorted(permissions)
    for name, value in claims.items():
        token[name] = value
    return str(token)
