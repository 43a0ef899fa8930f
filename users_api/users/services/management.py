"""Managing accounts: users, their roles and direct grants, roles, and the permission
catalogue. Each use-case runs in one transaction.

Nobody grants or removes a code they do not hold, nor manages an account holding
more than they do (a code they lack, or staff access they have not); only a
superuser touches the staff and superuser flags, a superuser's account, or
another user's password.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.api.errors import DomainError, Forbidden, NotFound
from common.auth.actors import Actor
from common.service_layer.services import lock, model_update
from common.versioning import check_version
from users import selectors
from users.errors import UserErrorCode
from users.models import Permission, Role, User
from users.permission_catalogue import CATALOGUE, service_of
from users.services.accounts import end_logins, revoke_tokens, save_user, validate_new_password

# --- permission catalogue -------------------------------------------------------------


def permission_catalogue_sync(*, using: str = "default") -> None:
    """Makes the Permission table equal to ``users.permission_catalogue.CATALOGUE``.

    Runs after every migrate; raises nothing of its own.
    """
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
    """The Permission rows of ``codes``; ValidationError keyed ``field`` for unknown ones."""
    wanted = list(dict.fromkeys(codes))
    unknown = sorted(set(wanted) - set(CATALOGUE))
    if unknown:
        raise ValidationError(
            {
                field: [
                    gettext("Unknown permission code: %(code)s.") % {"code": code}
                    for code in unknown
                ]
            }
        )
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
            _("You can only grant or remove permission codes you hold yourself."),
            code=UserErrorCode.GRANT_EXCEEDS_OWN_PERMISSIONS,
            extra={"permissions": missing},
        )


def _ensure_may_set_flags(actor: Actor, *, staff_changes: bool, superuser_changes: bool) -> None:
    """Staff access opens every admin site and superuser passes every check: superusers only."""
    if actor.is_superuser:
        return
    if superuser_changes:
        raise Forbidden(
            _("Only a superuser can grant or remove superuser."),
            code=UserErrorCode.SUPERUSER_REQUIRED,
        )
    if staff_changes:
        raise Forbidden(
            _("Only a superuser can grant or remove staff access."),
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
    """Creates a user and returns it with its (empty) grants loaded, as the API shows it.

    Raises Forbidden (``superuser_required``) unless a superuser creates a staff
    member or a superuser, and ValidationError for a refused password or field
    value, or a username or email (case-insensitively) already taken.
    """
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
    return selectors.user_grants_load(user=user)


def user_ensure_manageable(*, actor: Actor, user: User) -> None:
    """Nobody manages (changes, renames, deactivates, regrants) an account more privileged
    than their own: the API's use-cases and the admin's pages both ask here.

    A superuser manages everyone, and a user their own account (what they may change
    of it is limited by the other rules). Anyone else raises Forbidden
    (``superuser_required``) for a superuser, (``more_privileged_user``) for a
    staff member unless staff themselves, and (``more_privileged_user``, with
    the codes in ``permissions``) for a user holding a code they lack.
    """
    if actor.is_superuser:
        return
    if user.is_superuser:
        raise Forbidden(
            _("Only a superuser can change a superuser."), code=UserErrorCode.SUPERUSER_REQUIRED
        )
    if str(user.pk) == str(actor.id):
        return
    if user.is_staff and not actor.is_staff:
        raise Forbidden(
            gettext("Only a staff member can change a staff member."),
            code=UserErrorCode.MORE_PRIVILEGED_USER,
        )
    # A user read by _user_lock already says whether there are codes to name.
    if not getattr(user, "holds_codes_beyond_actor", True):
        return
    beyond = selectors.user_codes_beyond_list(user=user, codes=actor.permissions)
    if beyond:
        raise Forbidden(
            gettext("You can only change users whose permission codes you all hold yourself."),
            code=UserErrorCode.MORE_PRIVILEGED_USER,
            extra={"permissions": beyond},
        )


def _user_lock(actor: Actor, user_id: uuid.UUID, *, expected_version: int | None) -> User:
    """``lock(User, ...)`` that also reads whether the user holds a code beyond the
    actor's, so that ``user_ensure_manageable`` asks the database again only to
    name them.

    Raises NotFound for an unknown id and PreconditionFailed when
    ``expected_version`` is not the user's.
    """
    users = User.objects.select_for_update().filter(pk=user_id).order_by()
    if not actor.is_superuser:
        beyond = selectors.user_codes_beyond(user=OuterRef("pk"), codes=actor.permissions)
        users = users.annotate(holds_codes_beyond_actor=Exists(beyond))
    user = next(iter(users), None)
    if user is None:
        raise NotFound("No user has this id.")
    check_version(user, expected_version)
    return user


USER_MANAGED_FIELDS = frozenset(
    {"username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser"}
)


@transaction.atomic
def user_update(
    *, actor: Actor, user_id: uuid.UUID, expected_version: int | None, **changes: Any
) -> User:
    """Changes the given fields of a user (see USER_MANAGED_FIELDS) and returns it with
    its grants loaded, as the API shows it. Deactivation ends every login; it and the
    removal of staff or superuser revoke the user's tokens and admin sessions everywhere.

    Raises NotFound for an unknown id, PreconditionFailed when ``expected_version``
    is not the user's, Forbidden (``superuser_required``) when a non-superuser
    touches a superuser, ``is_superuser`` or ``is_staff``, Forbidden
    (``more_privileged_user``) for a user the actor may not manage
    (``user_ensure_manageable``), DomainError
    (``cannot_deactivate_self``) when a user deactivates themselves, and
    ValidationError for a bad value or a username or email already taken.
    """
    return selectors.user_grants_load(
        user=_user_change(actor, user_id, expected_version=expected_version, changes=changes)
    )


def _user_change(
    actor: Actor, user_id: uuid.UUID, *, expected_version: int | None, changes: dict[str, Any]
) -> User:
    """``user_update`` without loading what the API shows (a DELETE shows nothing)."""
    user = _user_lock(actor, user_id, expected_version=expected_version)
    user_ensure_manageable(actor=actor, user=user)
    _ensure_may_set_flags(
        actor,
        staff_changes=changes.get("is_staff", user.is_staff) != user.is_staff,
        superuser_changes=changes.get("is_superuser", user.is_superuser) != user.is_superuser,
    )
    deactivating = changes.get("is_active") is False and user.is_active
    if deactivating and str(user.pk) == str(actor.id):
        raise DomainError(
            _("You cannot deactivate your own account."), code=UserErrorCode.CANNOT_DEACTIVATE_SELF
        )
    losing_access = deactivating or any(
        changes.get(flag) is False and getattr(user, flag) for flag in ("is_staff", "is_superuser")
    )
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"])
    model_update(user, fields=USER_MANAGED_FIELDS, data=changes)
    if losing_access:
        revoke_tokens(user)
    save_user(user)
    if deactivating:
        end_logins(user, "user_deactivated")
    return user


@transaction.atomic
def user_deactivate(*, actor: Actor, user_id: uuid.UUID, expected_version: int | None) -> None:
    """DELETE of a user: deactivates it and ends its logins; the record stays for history.

    Raises as ``user_update`` does (NotFound, PreconditionFailed, Forbidden,
    DomainError ``cannot_deactivate_self``).
    """
    _user_change(actor, user_id, expected_version=expected_version, changes={"is_active": False})


@transaction.atomic
def user_password_set(*, actor: Actor, user_id: uuid.UUID, password: str | None) -> User:
    """Sets another user's password as an administrator (None disables password sign-in),
    ends every login of the user and revokes their tokens and admin sessions everywhere.

    Raises Forbidden (``superuser_required``) unless the actor is a superuser:
    whoever sets a password can sign in as that user and use every code they
    hold. Raises NotFound for an unknown id and ValidationError (keyed
    ``password``) when Django's password validators refuse it.
    """
    if not actor.is_superuser:
        raise Forbidden(
            _("Only a superuser can set another user's password."),
            code=UserErrorCode.SUPERUSER_REQUIRED,
        )
    user = lock(User, user_id)
    if password is None:
        user.set_unusable_password()
    else:
        validate_new_password(password, user)
        user.set_password(password)
    revoke_tokens(user)
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
    """Replaces the user's roles; returns the user with its grants loaded. When the user
    loses a code, their tokens and admin sessions are revoked everywhere.

    Raises NotFound for an unknown user, PreconditionFailed when
    ``expected_version`` is not the user's, Forbidden (``superuser_required``)
    when a non-superuser changes a superuser, Forbidden (``more_privileged_user``)
    for a user the actor may not manage (``user_ensure_manageable``), Forbidden
    (``grant_exceeds_own_permissions``) when a role added or removed carries a
    code the actor lacks, and ValidationError (keyed ``roles``) for an unknown role id.
    """
    user = _user_lock(actor, user_id, expected_version=expected_version)
    user_ensure_manageable(actor=actor, user=user)
    wanted = list(dict.fromkeys(role_ids))
    roles = list(Role.objects.prefetch_related("permissions").filter(pk__in=wanted))
    missing = sorted(str(role_id) for role_id in set(wanted) - {role.pk for role in roles})
    if missing:
        raise ValidationError(
            {"roles": [gettext("No role has id %(id)s.") % {"id": role_id} for role_id in missing]}
        )
    current = list(user.roles.prefetch_related("permissions"))
    kept = {role.pk for role in roles} & {role.pk for role in current}
    added_or_removed = [role for role in [*roles, *current] if role.pk not in kept]
    _ensure_actor_holds(actor, (p.code for r in added_or_removed for p in r.permissions.all()))
    removed_codes = {p.code for r in current if r.pk not in kept for p in r.permissions.all()}
    if removed_codes:
        kept_codes = {p.code for r in roles for p in r.permissions.all()}
        kept_codes.update(user.permissions.values_list("code", flat=True))
        if removed_codes - kept_codes:
            revoke_tokens(user)
    user.roles.set(roles)
    user.save()
    return selectors.user_grants_load(user=user)


@transaction.atomic
def user_permissions_set(
    *, actor: Actor, user_id: uuid.UUID, codes: Iterable[str], expected_version: int | None
) -> User:
    """Replaces the user's direct grants; returns the user with its grants loaded. When
    the user loses a code, their tokens and admin sessions are revoked everywhere.

    Raises NotFound for an unknown user, PreconditionFailed when
    ``expected_version`` is not the user's, Forbidden (``superuser_required``)
    when a non-superuser changes a superuser, Forbidden (``more_privileged_user``)
    for a user the actor may not manage (``user_ensure_manageable``), Forbidden
    (``grant_exceeds_own_permissions``) when a code added or removed is one the
    actor lacks, and ValidationError (keyed ``permissions``) for an unknown code.
    """
    user = _user_lock(actor, user_id, expected_version=expected_version)
    user_ensure_manageable(actor=actor, user=user)
    permissions = _catalogue_permissions(codes, field="permissions")
    current = set(user.permissions.values_list("code", flat=True))
    _ensure_actor_holds(actor, current ^ {p.code for p in permissions})
    removed_codes = current - {p.code for p in permissions}
    if removed_codes and removed_codes - set(
        Permission.objects.filter(roles__users=user).values_list("code", flat=True)
    ):
        revoke_tokens(user)
    user.permissions.set(permissions)
    user.save()
    return selectors.user_grants_load(user=user)


# --- roles ----------------------------------------------------------------------------


def _revoke_holders(role: Role) -> None:
    """A role losing codes (or going) takes them from its users: their tokens and admin
    sessions are revoked everywhere, each user's change published."""
    for user in role.users.select_for_update().order_by("pk"):
        revoke_tokens(user)
        user.save(update_fields=["tokens_revoked_at"])


def _ensure_role_name_free(name: str, exclude: uuid.UUID | None) -> None:
    """ValidationError keyed ``name`` when another role has ``name``, case-insensitively."""
    others = Role.objects.exclude(pk=exclude) if exclude else Role.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationError({"name": [gettext("A role with this name already exists.")]})


@transaction.atomic
def role_create(
    *, actor: Actor, name: str, description: str = "", permission_codes: Iterable[str] = ()
) -> Role:
    """Creates a role; returns it with its codes loaded.

    Raises Forbidden (``grant_exceeds_own_permissions``) when it carries a code
    the actor lacks, and ValidationError for an unknown code, a name another
    role has (case-insensitively) or a bad field value.
    """
    permissions = _catalogue_permissions(permission_codes, field="permissions")
    _ensure_actor_holds(actor, (p.code for p in permissions))
    _ensure_role_name_free(name, None)
    role = Role(name=name, description=description)
    # The name was checked above; the new id is a fresh UUID.
    role.full_clean(validate_unique=False, validate_constraints=False)
    role.save()
    role.permissions.add(*permissions)  # a new role has none to replace
    return selectors.role_permissions_load(role=role)


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
    """Changes a role (None leaves a field as it is); returns it with its codes loaded.
    Its users get the new codes with their next token; when it loses a code, their
    tokens and admin sessions are revoked everywhere.

    Raises NotFound for an unknown id, PreconditionFailed when
    ``expected_version`` is not the role's, Forbidden
    (``grant_exceeds_own_permissions``) when a code added or removed is one the
    actor lacks (a role is shared, so removing a code downgrades everyone
    holding it), and ValidationError for an unknown code, a name another role
    has or a bad field value.
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
        if current - {p.code for p in permissions}:
            _revoke_holders(role)
    role.full_clean(validate_constraints=False)
    role.save()
    return selectors.role_permissions_load(role=role)


@transaction.atomic
def role_delete(*, actor: Actor, role_id: uuid.UUID, expected_version: int | None) -> None:
    """Deletes a role; its users stop having its codes, and their tokens and admin
    sessions are revoked everywhere when it had any.

    Raises NotFound for an unknown id, PreconditionFailed when
    ``expected_version`` is not the role's, and Forbidden
    (``grant_exceeds_own_permissions``) when the role carries a code the actor
    lacks (deleting would remove it from its users).
    """
    role = lock(Role, role_id, expected_version=expected_version)
    codes = list(role.permissions.values_list("code", flat=True))
    _ensure_actor_holds(actor, codes)
    if codes:
        _revoke_holders(role)
    role.delete()
