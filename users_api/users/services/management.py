"""Managing accounts: users, their roles and direct grants, roles, and the permission
catalogue. Each use-case runs in one transaction.

Nobody grants or removes a code they do not hold, and only a superuser touches the
staff and superuser flags, a superuser's account, or another user's password.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from common.actors import Actor
from common.errors import DomainError, Forbidden
from common.permission_catalogue import CATALOGUE, service_of
from common.services import lock, model_update
from users.errors import UserErrorCode
from users.models import Permission, Role, User
from users.services.accounts import end_logins, save_user, validate_new_password

# --- permission catalogue -------------------------------------------------------------


def permission_catalogue_sync(*, using: str = "default") -> None:
    """Makes the Permission table equal to ``common.permission_catalogue.CATALOGUE``."""
    with transaction.atomic(using=using):
        existing = {p.code: p for p in Permission.objects.using(using).all()}
        for code, description in CATALOGUE.items():
            current = existing.pop(code, None)
            if current is None:
                Permission.objects.using(using).create(
                    code=code, service=service_of(code), description=description
                )
            elif current.description != description:
                current.description = description
                current.save(using=using, update_fields=["description"])
        if existing:
            Permission.objects.using(using).filter(code__in=list(existing)).delete()


def _catalogue_permissions(codes: Iterable[str], *, field: str) -> list[Permission]:
    wanted = list(dict.fromkeys(codes))
    unknown = sorted(set(wanted) - set(CATALOGUE))
    if unknown:
        raise ValidationError({field: [f"Unknown permission code: {code}." for code in unknown]})
    return list(Permission.objects.filter(code__in=wanted))


def _ensure_actor_holds(actor: Actor, codes: Iterable[str]) -> None:
    """Nobody grants or removes what they do not hold.

    Granting is how an escalation would happen; removing is how a user could
    silently downgrade others (strip a code from an admin, cut down a role many
    people hold). Callers pass every code that would be added or removed.
    """
    if actor.is_superuser:
        return
    missing = sorted(set(codes) - actor.permissions)
    if missing:
        raise Forbidden(
            "You can only grant or remove permission codes you hold yourself.",
            code=UserErrorCode.GRANT_EXCEEDS_OWN_PERMISSIONS,
            extra={"permissions": missing},
        )


def _ensure_may_set_flags(actor: Actor, *, staff_changes: bool, superuser_changes: bool) -> None:
    """Staff access opens every admin site and superuser passes every check: superusers only."""
    if actor.is_superuser:
        return
    if superuser_changes:
        raise Forbidden(
            "Only a superuser can grant or remove superuser.", code=UserErrorCode.SUPERUSER_REQUIRED
        )
    if staff_changes:
        raise Forbidden(
            "Only a superuser can grant or remove staff access.",
            code=UserErrorCode.SUPERUSER_REQUIRED,
        )


# --- users ----------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    is_active: bool = True,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Creates a user; only a superuser may create a staff member or a superuser (403)."""
    # A new user's flags start false: setting one is a change.
    _ensure_may_set_flags(actor, staff_changes=is_staff, superuser_changes=is_superuser)
    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        first_name=first_name,
        last_name=last_name,
        is_active=is_active,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    validate_new_password(password, user)
    user.set_password(password)
    save_user(user)
    return user


def _ensure_may_manage(actor: Actor, user: User) -> None:
    if user.is_superuser and not actor.is_superuser:
        raise Forbidden(
            "Only a superuser can change a superuser.", code=UserErrorCode.SUPERUSER_REQUIRED
        )


USER_MANAGED_FIELDS = frozenset(
    {"username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser"}
)


@transaction.atomic
def user_update(
    *, actor: Actor, user_id: uuid.UUID, expected_version: int | None, **changes: Any
) -> User:
    """Changes the given fields of a user (see USER_MANAGED_FIELDS).

    Refused (403, ``superuser_required``) when a non-superuser touches a
    superuser, ``is_superuser`` or ``is_staff``, and (409) when a user
    deactivates themselves. Deactivation ends every login.
    """
    user = lock(User, user_id, expected_version=expected_version)
    _ensure_may_manage(actor, user)
    _ensure_may_set_flags(
        actor,
        staff_changes=changes.get("is_staff", user.is_staff) != user.is_staff,
        superuser_changes=changes.get("is_superuser", user.is_superuser) != user.is_superuser,
    )
    deactivating = changes.get("is_active") is False and user.is_active
    if deactivating and str(user.pk) == str(actor.id):
        raise DomainError(
            "You cannot deactivate your own account.", code=UserErrorCode.CANNOT_DEACTIVATE_SELF
        )
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"])
    model_update(user, fields=USER_MANAGED_FIELDS, data=changes)
    save_user(user)
    if deactivating:
        end_logins(user, "user_deactivated")
    return user


def user_deactivate(*, actor: Actor, user_id: uuid.UUID, expected_version: int | None) -> User:
    """DELETE of a user: deactivates it and ends its logins; the record stays for history."""
    return user_update(
        actor=actor, user_id=user_id, expected_version=expected_version, is_active=False
    )


@transaction.atomic
def user_password_set(*, actor: Actor, user_id: uuid.UUID, password: str | None) -> User:
    """Sets another user's password as an administrator (None disables password sign-in).

    Refused (403 ``superuser_required``) unless the actor is a superuser:
    whoever sets a password can sign in as that user and use every code they
    hold. Validates the password and ends every login of the user.
    """
    if not actor.is_superuser:
        raise Forbidden(
            "Only a superuser can set another user's password.",
            code=UserErrorCode.SUPERUSER_REQUIRED,
        )
    user = lock(User, user_id)
    if password is None:
        user.set_unusable_password()
    else:
        validate_new_password(password, user)
        user.set_password(password)
    user.save()
    end_logins(user, "password_set")
    return user


@transaction.atomic
def user_roles_set(
    *,
    actor: Actor,
    user_id: uuid.UUID,
    role_ids: Iterable[uuid.UUID],
    expected_version: int | None,
) -> User:
    """Replaces the user's roles.

    Refused (403) when a role added or removed carries a code the actor lacks.
    """
    user = lock(User, user_id, expected_version=expected_version)
    _ensure_may_manage(actor, user)
    wanted = list(dict.fromkeys(role_ids))
    roles = list(Role.objects.prefetch_related("permissions").filter(pk__in=wanted))
    missing = sorted(str(role_id) for role_id in set(wanted) - {role.pk for role in roles})
    if missing:
        raise ValidationError({"roles": [f"No role has id {role_id}." for role_id in missing]})
    current = list(user.roles.prefetch_related("permissions"))
    kept = {role.pk for role in roles} & {role.pk for role in current}
    added_or_removed = [role for role in [*roles, *current] if role.pk not in kept]
    _ensure_actor_holds(actor, (p.code for r in added_or_removed for p in r.permissions.all()))
    user.roles.set(roles)
    user.save()
    return user


@transaction.atomic
def user_permissions_set(
    *, actor: Actor, user_id: uuid.UUID, codes: Iterable[str], expected_version: int | None
) -> User:
    """Replaces the user's direct grants.

    Refused (403) when a code added or removed is one the actor lacks.
    """
    user = lock(User, user_id, expected_version=expected_version)
    _ensure_may_manage(actor, user)
    permissions = _catalogue_permissions(codes, field="permissions")
    current = set(user.permissions.values_list("code", flat=True))
    _ensure_actor_holds(actor, current ^ {p.code for p in permissions})
    user.permissions.set(permissions)
    user.save()
    return user


# --- roles ----------------------------------------------------------------------------


def _ensure_role_name_free(name: str, exclude: uuid.UUID | None) -> None:
    others = Role.objects.exclude(pk=exclude) if exclude else Role.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationError({"name": ["A role with this name already exists."]})


@transaction.atomic
def role_create(
    *, actor: Actor, name: str, description: str = "", permission_codes: Iterable[str] = ()
) -> Role:
    permissions = _catalogue_permissions(permission_codes, field="permissions")
    _ensure_actor_holds(actor, (p.code for p in permissions))
    _ensure_role_name_free(name, None)
    role = Role(name=name, description=description)
    role.full_clean(validate_constraints=False)
    role.save()
    role.permissions.set(permissions)
    return role


@transaction.atomic
def role_update(
    *,
    actor: Actor,
    role_id: uuid.UUID,
    expected_version: int | None,
    name: str | None = None,
    description: str | None = None,
    permission_codes: Iterable[str] | None = None,
) -> Role:
    """Changes a role; its users get the new codes with their next token.

    Refused (403) when a code added or removed is one the actor lacks: a role
    is shared, so removing a code downgrades everyone holding it.
    """
    role = lock(Role, role_id, expected_version=expected_version)
    if name is not None:
        _ensure_role_name_free(name, role.pk)
        role.name = name
    if description is not None:
        role.description = description
    if permission_codes is not None:
        permissions = _catalogue_permissions(permission_codes, field="permissions")
        current = set(role.permissions.values_list("code", flat=True))
        _ensure_actor_holds(actor, current ^ {p.code for p in permissions})
        role.permissions.set(permissions)
    role.full_clean(validate_constraints=False)
    role.save()
    return role


@transaction.atomic
def role_delete(*, actor: Actor, role_id: uuid.UUID, expected_version: int | None) -> None:
    """Deletes a role; its users simply stop having its codes.

    Refused (403) when the role carries a code the actor lacks (that would remove it).
    """
    role = lock(Role, role_id, expected_version=expected_version)
    _ensure_actor_holds(actor, role.permissions.values_list("code", flat=True))
    role.delete()
