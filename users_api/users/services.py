"""Write use-cases of users_api. Each runs in one transaction.

Errors: ``django.core.exceptions.ValidationError`` for bad field values (400,
keyed by field), ``common.errors`` domain errors for refused rules (``Forbidden``,
``DomainError`` conflicts, ``NotFound``, ``PreconditionFailed``) with the codes of
``users.errors.UserErrorCode``, ``InvalidCredentials`` for login failures (401).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.utils import datetime_from_epoch

from common.actors import Actor
from common.errors import DomainError, ErrorCode, Forbidden
from common.permission_catalogue import CATALOGUE, service_of
from common.services import lock, model_update, save_unique
from users.errors import InvalidCredentials, UserErrorCode
from users.models import IssuedRefreshToken, LoginSession, Permission, Role, User
from users.selectors import user_effective_permission_codes
from users.throttling import LoginGuard
from users.tokens import RefreshToken, TokenPair

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


def _validate_new_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def _save_user(user: User) -> None:
    """Full validation, then save; a concurrent duplicate is still refused by the constraints."""
    save_unique(
        user,
        unique={
            "username": "A user with this username already exists.",
            "email__iexact": "A user with this email already exists.",
        },
        conflict=("username", "A user with this username or email already exists."),
        exclude=["password"],
    )


@transaction.atomic
def user_register(
    *, username: str, email: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Self-service sign-up: an active user with no roles, no grants, no staff access."""
    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        first_name=first_name,
        last_name=last_name,
    )
    _validate_new_password(password, user)
    user.set_password(password)
    _save_user(user)
    return user


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
    _validate_new_password(password, user)
    user.set_password(password)
    _save_user(user)
    return user


def _ensure_may_manage(actor: Actor, user: User) -> None:
    if user.is_superuser and not actor.is_superuser:
        raise Forbidden(
            "Only a superuser can change a superuser.", code=UserErrorCode.SUPERUSER_REQUIRED
        )


def _revoke(session: LoginSession, reason: str) -> None:
    """Ends a login: none of its refresh tokens works any more."""
    session.revoked_at = timezone.now()
    session.revoked_reason = reason
    session.save(update_fields=["revoked_at", "revoked_reason"])


def _revoke_sessions(user: User, reason: str) -> None:
    for session in LoginSession.objects.filter(user=user, revoked_at__isnull=True):
        _revoke(session, reason)


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
    _save_user(user)
    if deactivating:
        _revoke_sessions(user, "user_deactivated")
    return user


def user_deactivate(*, actor: Actor, user_id: uuid.UUID, expected_version: int | None) -> User:
    """DELETE of a user: deactivates it and ends its logins; the record stays for history."""
    return user_update(
        actor=actor, user_id=user_id, expected_version=expected_version, is_active=False
    )


PROFILE_FIELDS = frozenset({"email", "first_name", "last_name"})


@transaction.atomic
def user_profile_update(*, actor: Actor, expected_version: int | None, **changes: Any) -> User:
    """What users may change about themselves (``actor``'s account): email and names."""
    user = lock(User, actor.id, expected_version=expected_version)
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"])
    model_update(user, fields=PROFILE_FIELDS, data=changes)
    _save_user(user)
    return user


@transaction.atomic
def user_password_change(*, actor: Actor, current_password: str, new_password: str) -> None:
    """Checks ``actor``'s current password, validates the new one, and ends every login
    of the account."""
    user = lock(User, actor.id)
    if not user.check_password(current_password):
        raise ValidationError({"current_password": ["The current password is not correct."]})
    _validate_new_password(new_password, user)
    user.set_password(new_password)
    user.save()
    _revoke_sessions(user, "password_changed")


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
        _validate_new_password(password, user)
        user.set_password(password)
    user.save()
    _revoke_sessions(user, "password_set")
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


# --- login ----------------------------------------------------------------------------


def _issue_pair(user: User, session: LoginSession) -> TokenPair:
    user = User.objects.prefetch_related("roles__permissions", "permissions").get(pk=user.pk)
    refresh = RefreshToken()
    refresh["user_id"] = str(user.pk)
    refresh["sub"] = str(user.pk)
    refresh["sid"] = str(session.pk)
    access = refresh.access_token
    access["username"] = user.username
    access["is_superuser"] = user.is_superuser
    access["is_staff"] = user.is_staff
    access["roles"] = sorted(role.name for role in user.roles.all())
    access["permissions"] = user_effective_permission_codes(user=user)
    IssuedRefreshToken.objects.create(
        jti=refresh["jti"], session=session, expires_at=datetime_from_epoch(refresh["exp"])
    )
    return TokenPair(access=str(access), refresh=str(refresh))


@transaction.atomic
def auth_login(*, username: str, password: str, ip_address: str, user_agent: str = "") -> TokenPair:
    """Checks the password and starts a login (a new refresh-token family).

    ``ip_address`` is where the attempt comes from; failures are limited per
    account and address and per account (``users.throttling.LoginGuard``).
    Raises Throttled (429) past those limits, before checking the password, and
    InvalidCredentials for an unknown user, a wrong password or an inactive user.
    """
    guard = LoginGuard(username=username, address=ip_address)
    guard.check()
    user = User.objects.filter(username=username).first()
    if user is None:
        User().set_password(password)  # same work as a real check: no timing oracle
        raise InvalidCredentials()
    if not user.check_password(password):
        raise InvalidCredentials()
    guard.succeeded()
    if not user.is_active:
        raise InvalidCredentials("This account is deactivated.", code=ErrorCode.USER_INACTIVE)
    session = LoginSession.objects.create(
        user=user, ip_address=ip_address, user_agent=user_agent[:300]
    )
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return _issue_pair(user, session)


def auth_refresh(*, refresh: str) -> TokenPair:
    """Rotates a refresh token: the presented one is spent, a new pair is issued.

    Presenting a spent refresh token again is taken as theft: its whole login
    family is revoked (committed), then InvalidCredentials is raised.
    """
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidCredentials(
            "The refresh token is invalid or expired.", code=UserErrorCode.TOKEN_NOT_VALID
        ) from exc
    reused = False
    with transaction.atomic():
        record = (
            IssuedRefreshToken.objects.select_for_update()
            .select_related("session__user")
            .filter(jti=token["jti"])
            .first()
        )
        if record is None:
            raise InvalidCredentials(
                "The refresh token is not known.", code=UserErrorCode.TOKEN_NOT_VALID
            )
        session = record.session
        if session.revoked_at is not None:
            raise InvalidCredentials(
                "This login has ended; log in again.", code=UserErrorCode.TOKEN_REVOKED
            )
        if record.used_at is not None:
            _revoke(session, "refresh_token_reused")
            reused = True
        elif not session.user.is_active:
            raise InvalidCredentials("This account is deactivated.", code=ErrorCode.USER_INACTIVE)
        else:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            pair = _issue_pair(session.user, session)
    if reused:
        raise InvalidCredentials(
            "This refresh token was already used; the login has been revoked.",
            code=UserErrorCode.TOKEN_REUSED,
        )
    return pair


@transaction.atomic
def auth_logout(*, actor: Actor, refresh: str) -> None:
    """Ends the login the refresh token belongs to. Only its owner can do so."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise ValidationError({"refresh": ["The refresh token is invalid or expired."]}) from exc
    if str(token.get("user_id")) != str(actor.id):
        raise ValidationError({"refresh": ["This refresh token belongs to another user."]})
    record = (
        IssuedRefreshToken.objects.select_for_update()
        .select_related("session")
        .filter(jti=token["jti"])
        .first()
    )
    if record is None:
        raise ValidationError({"refresh": ["The refresh token is not known."]})
    session = record.session
    if session.revoked_at is None:
        _revoke(session, "logout")
