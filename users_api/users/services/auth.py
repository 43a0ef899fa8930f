"""Signing up, signing in, token rotation and logout, and what users change about their
own account. Each use-case runs in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.utils import datetime_from_epoch

from common.api.errors import ErrorCode
from common.auth.actors import Actor
from common.service_layer.services import lock, model_update
from users import selectors
from users.errors import InvalidCredentials, UserErrorCode
from users.models import IssuedRefreshToken, LoginSession, User
from users.services.accounts import (
    end_login,
    end_logins,
    revoke_tokens,
    revoke_tokens_of,
    save_user,
    validate_new_password,
)
from users.throttling import LoginGuard
from users.tokens import RefreshToken, TokenPair

# --- the caller's own account -----------------------------------------------------------


@transaction.atomic
def user_register(
    *, username: str, email: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Self-service sign-up: an active user with no roles, no grants, no staff access,
    returned with its (empty) grants loaded, as the API shows it.

    Raises ValidationError for a refused password or field value, or a username or
    email (case-insensitively) already taken.
    """
    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        first_name=first_name,
        last_name=last_name,
    )
    validate_new_password(password, user)
    user.set_password(password)
    save_user(user)
    return selectors.user_grants_load(user=user)


PROFILE_FIELDS = frozenset({"email", "first_name", "last_name"})


@transaction.atomic
def user_profile_update(*, actor: Actor, expected_version: int | None, **changes: Any) -> User:
    """What users may change about themselves (``actor``'s account): email and names.
    Returns the account with its grants loaded, as the API shows it.

    Raises PreconditionFailed when ``expected_version`` is not the account's, and
    ValidationError for a bad value or an email another user has.
    """
    user = lock(User, actor.id, expected_version=expected_version)
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"])
    model_update(user, fields=PROFILE_FIELDS, data=changes)
    save_user(user)
    return selectors.user_grants_load(user=user)


@transaction.atomic
def user_password_change(*, actor: Actor, current_password: str, new_password: str) -> None:
    """Checks ``actor``'s current password, validates the new one, ends every login of
    the account and revokes its access tokens and admin sessions everywhere.

    Raises ValidationError keyed ``current_password`` when it is wrong, keyed
    ``password`` when Django's validators refuse the new one.
    """
    user = lock(User, actor.id)
    if not user.check_password(current_password):
        raise ValidationError(
            {"current_password": [gettext("The current password is not correct.")]}
        )
    validate_new_password(new_password, user)
    user.set_password(new_password)
    revoke_tokens(user)
    user.save()
    end_logins(user, "password_changed")


# --- login ----------------------------------------------------------------------------


def _issue_pair(user: User, session: LoginSession) -> TokenPair:
    selectors.user_grants_load(user=user)  # the claims name every code
    refresh = RefreshToken()
    refresh["user_id"] = str(user.pk)
    refresh["sub"] = str(user.pk)
    refresh["sid"] = str(session.pk)
    access = refresh.access_token
    if user.tokens_revoked_at is not None:
        # Services refuse tokens issued in the second of the revocation or before (``iat``
        # is whole seconds); one issued after it, in that same second, says the next.
        revoked_second = int(user.tokens_revoked_at.timestamp())
        access["iat"] = max(int(access["iat"]), revoked_second + 1)
    access["username"] = user.username
    access["is_superuser"] = user.is_superuser
    access["is_staff"] = user.is_staff
    access["roles"] = sorted(role.name for role in user.roles.all())
    access["permissions"] = selectors.user_effective_permission_codes(user=user)
    IssuedRefreshToken.objects.create(
        jti=refresh["jti"], session=session, expires_at=datetime_from_epoch(refresh["exp"])
    )
    return TokenPair(access=str(access), refresh=str(refresh))


@transaction.atomic
def auth_login(*, username: str, password: str, ip_address: str, user_agent: str = "") -> TokenPair:
    """Checks the password and starts a login (a new refresh-token family).

    ``username`` matches in any case (names are unique that way). ``ip_address`` is
    where the attempt comes from; failures are limited per account and address and
    per account (``users.throttling.LoginGuard``).
    Raises Throttled (429) past those limits, before checking the password, and
    InvalidCredentials for an unknown user, a wrong password or an inactive user.
    """
    guard = LoginGuard(username=username, address=ip_address)
    guard.check()
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        User().set_password(password)  # same work as a real check: no timing oracle
        raise InvalidCredentials()
    if not user.check_password(password):
        raise InvalidCredentials()
    guard.succeeded()
    if not user.is_active:
        raise InvalidCredentials(code=ErrorCode.USER_INACTIVE)
    session = LoginSession.objects.create(
        user=user, ip_address=ip_address, user_agent=user_agent[:300]
    )
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return _issue_pair(user, session)


def auth_refresh(*, refresh: str) -> TokenPair:
    """Rotates a refresh token: the presented one is spent, a new pair is issued.

    Presenting a spent refresh token again is taken as theft: its whole login
    family is revoked and so are the user's access tokens and admin sessions everywhere
    (committed), then InvalidCredentials (``token_reused``) is
    raised. Also raises InvalidCredentials for a token that is invalid, expired or
    unknown (``token_not_valid``), of an ended login (``token_revoked``) or of a
    deactivated account (``user_inactive``).
    """
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidCredentials(code=UserErrorCode.TOKEN_NOT_VALID) from exc
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
                _("The refresh token is not known."), code=UserErrorCode.TOKEN_NOT_VALID
            )
        session = record.session
        if session.revoked_at is not None:
            raise InvalidCredentials(code=ErrorCode.TOKEN_REVOKED)
        if record.used_at is not None:
            end_login(session, "refresh_token_reused")
            revoke_tokens_of(session.user_id)
            reused = True
        elif not session.user.is_active:
            raise InvalidCredentials(code=ErrorCode.USER_INACTIVE)
        else:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            pair = _issue_pair(session.user, session)
    if reused:
        raise InvalidCredentials(code=UserErrorCode.TOKEN_REUSED)
    return pair


@transaction.atomic
def auth_logout(*, actor: Actor, refresh: str) -> None:
    """Ends the login the refresh token belongs to, and revokes the user's access tokens
    and admin sessions on every service (other logins keep their refresh tokens: a
    client of theirs refreshes). Only its owner can do so.

    Raises ValidationError keyed ``refresh`` for a token that is invalid, expired,
    unknown or another user's.
    """
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise ValidationError(
            {"refresh": [gettext("The refresh token is invalid or expired.")]}
        ) from exc
    if str(token.get("user_id")) != str(actor.id):
        raise ValidationError({"refresh": [gettext("This refresh token belongs to another user.")]})
    record = (
        IssuedRefreshToken.objects.select_for_update()
        .select_related("session")
        .filter(jti=token["jti"])
        .first()
    )
    if record is None:
        raise ValidationError({"refresh": [gettext("The refresh token is not known.")]})
    session = record.session
    if session.revoked_at is None:
        end_login(session, "logout")
        revoke_tokens_of(session.user_id)
