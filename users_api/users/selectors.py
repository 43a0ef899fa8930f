"""Reads of users_api. Every function returns querysets or values; none writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from common.service_layer.selectors import get_or_not_found
from users.models import Permission, Role, User


def _user_grants() -> tuple[Prefetch, str]:
    # A Prefetch holds its queryset's results: a new one per read.
    return Prefetch("roles", queryset=Role.objects.prefetch_related("permissions")), "permissions"


def user_list() -> QuerySet[User]:
    """Users with everything the API shows prefetched: a constant number of queries."""
    return User.objects.prefetch_related(*_user_grants())


def user_get(*, user_id: uuid.UUID) -> User:
    """Raises common.api.errors.NotFound when no user has this id."""
    return get_or_not_found(user_list(), pk=user_id)


def user_grants_load(*, user: User) -> User:
    """``user`` with what the API shows of it loaded (roles, their codes, direct codes),
    as ``user_list`` loads it; what is loaded already is not read again."""
    prefetch_related_objects([user], *_user_grants())
    return user


def user_effective_permission_codes(*, user: User) -> list[str]:
    """Codes of the user's roles plus direct grants, sorted; uses prefetched data if present."""
    codes = {permission.code for permission in user.permissions.all()}
    for role in user.roles.all():
        codes.update(permission.code for permission in role.permissions.all())
    return sorted(codes)


def user_codes_beyond(*, user: Any, codes: Iterable[str]) -> QuerySet[Permission]:
    """The Permission rows ``user`` (a User, an id or an ``OuterRef``) holds, directly
    or through a role, that are not among ``codes``."""
    return Permission.objects.filter(Q(granted_users=user) | Q(roles__users=user)).exclude(
        code__in=list(codes)
    )


def user_codes_beyond_list(*, user: User, codes: Iterable[str]) -> list[str]:
    """The codes of ``user_codes_beyond``, sorted, each once."""
    return sorted(set(user_codes_beyond(user=user, codes=codes).values_list("code", flat=True)))


def role_list() -> QuerySet[Role]:
    return Role.objects.prefetch_related("permissions")


def role_get(*, role_id: uuid.UUID) -> Role:
    """Raises common.api.errors.NotFound when no role has this id."""
    return get_or_not_found(role_list(), pk=role_id)


def role_permissions_load(*, role: Role) -> Role:
    """``role`` with its codes loaded, as ``role_list`` loads it (not again if they are)."""
    prefetch_related_objects([role], "permissions")
    return role


def permission_list() -> QuerySet[Permission]:
    return Permission.objects.all()
