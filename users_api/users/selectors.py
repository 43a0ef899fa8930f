"""Reads of users_api. Every function returns querysets or values; none writes."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from users.models import Permission, Role, User


def user_list() -> QuerySet[User]:
    """Users with everything the API shows prefetched: a constant number of queries."""
    return User.objects.prefetch_related(
        Prefetch("roles", queryset=Role.objects.prefetch_related("permissions")),
        "permissions",
    )


def user_get(*, user_id: uuid.UUID) -> User:
    """Raises Http404 when no user has this id."""
    try:
        return user_list().get(pk=user_id)
    except User.DoesNotExist as exc:
        raise Http404 from exc


def user_effective_permission_codes(*, user: User) -> list[str]:
    """Codes of the user's roles plus direct grants, sorted; uses prefetched data if present."""
    codes = {permission.code for permission in user.permissions.all()}
    for role in user.roles.all():
        codes.update(permission.code for permission in role.permissions.all())
    return sorted(codes)


def role_list() -> QuerySet[Role]:
    return Role.objects.prefetch_related("permissions")


def role_get(*, role_id: uuid.UUID) -> Role:
    """Raises Http404 when no role has this id."""
    try:
        return role_list().get(pk=role_id)
    except Role.DoesNotExist as exc:
        raise Http404 from exc


def permission_list() -> QuerySet[Permission]:
    return Permission.objects.all()
