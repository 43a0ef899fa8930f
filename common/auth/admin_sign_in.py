"""Signing in to a service's admin site with a users_api account.

``UsersApiBackend`` asks users_api for a token (``POST /api/v1/auth/token``,
server to server), verifies it exactly as the APIs verify bearer tokens, and
admits only staff. The user gets a local ``User`` row (username, staff and
superuser flags from the token; no usable password), and the token's
permission codes are kept in the session: in the admin a user has exactly
those codes, read from the session on every request, so the admin keeps
working while users_api is down and role changes apply at the next sign-in.
The session ends ``ADMIN_SESSION_MAX_AGE`` seconds after signing in, or as soon
as this service learns that its user was revoked after the token it signed in with
was issued (deactivated, codes or staff access removed, logged out: ``common.auth.revocations``).

users_api's own admin signs in its users directly (``users.backends``).

users_api limits sign-in attempts per address. The request it gets comes from
this service, so the backend hands over the browser's address in
``CLIENT_ADDRESS_HEADER``, signed with ``ADMIN_SIGN_IN_SECRET`` (HMAC-SHA256
over the address, the time and the username); users_api believes the header
only when the proof verifies (``verified_client_address``), so nobody else
can choose the address they are counted under.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_backends, get_user_model, logout
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication as drf_authentication
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt.exceptions import TokenError

from common.api.errors import ErrorCode
from common.auth import access, revocations
from common.auth.access import AccessToken

logger = logging.getLogger(__name__)

SESSION_CODES_KEY = "_users_api_permissions"
SESSION_USER_ID_KEY = "_users_api_user_id"
# When the sign-in's token was issued (its iat), to compare with the user's revocation.
SESSION_ISSUED_AT_KEY = "_users_api_issued_at"
_CODES_ATTR = "users_api_permissions"
_USER_ID_ATTR = "users_api_user_id"
_ISSUED_AT_ATTR = "users_api_issued_at"

UNREACHABLE = _("users_api cannot be reached; try again shortly.")
INACTIVE = _("This account is deactivated in users_api.")
NOT_STAFF = _(
    "This account may not use the back office: it is not a staff member. "
    "Ask an administrator to mark it as staff in users_api."
)
UNVERIFIED = _(
    "users_api's token could not be verified here; this service's JWT_PUBLIC_KEY, "
    "JWT_ISSUER and JWT_AUDIENCE must match users_api's."
)


CLIENT_ADDRESS_HEADER = "X-Sign-In-Client-Address"
# A proof older or newer than this is ignored, so a copied header soon stops working.
CLIENT_ADDRESS_MAX_AGE = 60


def _client_address_proof(secret: str, *, address: str, timestamp: int, username: str) -> str:
    message = f"sign-in-client-address\n{address}\n{timestamp}\n{username}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_client_address(*, address: str, username: str) -> str:
    """``CLIENT_ADDRESS_HEADER``'s value: ``<address> <unix time> <HMAC-SHA256 proof>``."""
    timestamp = int(time.time())
    proof = _client_address_proof(
        settings.ADMIN_SIGN_IN_SECRET, address=address, timestamp=timestamp, username=username
    )
    return f"{address} {timestamp} {proof}"


def verified_client_address(value: str, *, username: str) -> str | None:
    """The address a service handed over in ``value``, or None unless it is proven.

    Proven means: ``ADMIN_SIGN_IN_SECRET`` is set, the address is an IP
    address, the time is within ``CLIENT_ADDRESS_MAX_AGE`` seconds of now, and
    the HMAC over address, time and ``username`` matches.
    """
    secret = settings.ADMIN_SIGN_IN_SECRET
    parts = value.split(" ")
    if not secret or len(parts) != 3:
        return None
    address, timestamp, proof = parts
    try:
        ipaddress.ip_address(address)
        fresh = abs(time.time() - int(timestamp)) <= CLIENT_ADDRESS_MAX_AGE
    except ValueError:
        return None
    expected = _client_address_proof(
        secret, address=address, timestamp=int(timestamp), username=username
    )
    if not fresh or not hmac.compare_digest(proof, expected):
        return None
    return address


def _post_json(
    url: str, body: Mapping[str, str], extra_headers: Mapping[str, str]
) -> tuple[int, Mapping[str, Any], str]:
    """(status, JSON body, Retry-After) of a POST; HTTP errors are answers, not exceptions."""
    # USERS_API_URL comes from settings, which accept only http(s) URLs.
    request = urllib.request.Request(  # noqa: S310
        url,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            # users_api records it on the login session it starts.
            "User-Agent": f"sistema-multi-apis/{settings.SERVICE_NAME} admin",
            **extra_headers,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.USERS_API_TIMEOUT) as response:  # noqa: S310
            status, payload, retry_after = response.status, json.load(response), ""
    except urllib.error.HTTPError as error:
        with error:
            try:
                payload = json.load(error)
            except ValueError:
                payload = {}
            status, retry_after = error.code, error.headers.get("Retry-After", "")
    return status, payload if isinstance(payload, dict) else {}, retry_after


def users_api_claims(
    *, username: str, password: str, client_address: str | None = None
) -> Mapping[str, Any] | None:
    """The verified access-token claims users_api issues for these credentials.

    ``client_address`` (the signing-in browser's) is handed over signed when
    ``ADMIN_SIGN_IN_SECRET`` is set, so users_api counts the attempt against it.

    None when users_api refuses the credentials (unknown user, wrong password,
    or values it cannot take). Raises ValidationError with a message for the login page when
    the account is deactivated (``inactive``), sign-ins are throttled
    (``throttled``), users_api cannot be reached or answers with an error
    (``users_api_unreachable``), or its token does not verify here
    (``token_unverified``).
    """
    url = f"{settings.USERS_API_URL.rstrip('/')}/api/v1/auth/token"
    try:
        status, body, retry_after = _post_json(
            url,
            {"username": username, "password": password},
            {
                CLIENT_ADDRESS_HEADER: signed_client_address(
                    address=client_address, username=username
                )
            }
            if client_address and settings.ADMIN_SIGN_IN_SECRET
            else {},
        )
    except (OSError, ValueError) as error:  # refused, timed out, DNS, not JSON
        logger.warning("admin sign-in: users_api at %s cannot be reached: %s", url, error)
        raise ValidationError(UNREACHABLE, code="users_api_unreachable") from error
    if status == 401 and body.get("code") == ErrorCode.USER_INACTIVE:
        raise ValidationError(INACTIVE, code="inactive")
    # A 400 other than invalid fields (a username or password it cannot take) is not
    # about the credentials: e.g. users_api refusing this service's Host header.
    if status == 401 or (status == 400 and body.get("code") == ErrorCode.VALIDATION_ERROR):
        return None
    if status == 429:
        raise ValidationError(
            _("Too many sign-in attempts; try again in %(seconds)s seconds."),
            code="throttled",
            params={"seconds": retry_after or _("a few")},
        )
    if status != 200 or not isinstance(body.get("access"), str):
        logger.warning("admin sign-in: users_api at %s answered %s", url, status)
        raise ValidationError(UNREACHABLE, code="users_api_unreachable")
    try:
        return AccessToken(body["access"]).payload
    except TokenError as error:
        logger.error("admin sign-in: users_api's token does not verify here: %s", error)
        raise ValidationError(UNVERIFIED, code="token_unverified") from error


def admin_user_from_claims(*, claims: Mapping[str, Any]) -> AbstractBaseUser:
    """The local user row standing for the token's user, created or brought up to date.

    Matched by username; the staff and superuser flags follow the token, and
    the password is never usable here (users_api checks it).
    """
    user_model = get_user_model()
    user, created = user_model.objects.update_or_create(
        username=claims["username"],
        defaults={
            "is_active": True,
            "is_staff": bool(claims.get("is_staff")),
            "is_superuser": bool(claims.get("is_superuser")),
        },
    )
    if created or user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


class UsersApiBackend(BaseBackend):
    """Authenticates admin sign-ins against users_api; permissions are the token's codes."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        """The staff user users_api vouches for; None for refused credentials.

        Raises ValidationError (shown on the login page) as ``users_api_claims``
        does, and ``not_staff`` for a right password of an account that is not staff.
        """
        if username is None or password is None:
            return None
        claims = users_api_claims(
            username=username,
            password=password,
            # The browser's address as this service sees it (NUM_PROXIES applies).
            client_address=BaseThrottle().get_ident(request) if request is not None else None,
        )
        if claims is None:
            return None
        if not claims.get("is_staff"):
            # The password was right, so say what is wrong: the admin's own message
            # ("correct username and password for a staff account") reads as a typo.
            raise ValidationError(NOT_STAFF, code="not_staff")
        user = admin_user_from_claims(claims=claims)
        # remember_codes() moves them into the session once login() has settled it.
        setattr(user, _CODES_ATTR, frozenset(claims.get("permissions", ())))
        setattr(user, _USER_ID_ATTR, str(claims["user_id"]))
        setattr(user, _ISSUED_AT_ATTR, claims.get("iat"))
        return user

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        return get_user_model().objects.filter(pk=user_id, is_active=True).first()

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return set(settings.PERMISSION_CODES)
        return set(getattr(user_obj, _CODES_ATTR, ()))

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(code.startswith(f"{app_label}.") for code in self.get_all_permissions(user_obj))


def session_end_set(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: every sign-in's session (users_api's own admin's too)
    ends ``ADMIN_SESSION_MAX_AGE`` seconds later whatever happens in between, rather
    than after Django's two weeks."""
    request.session.set_expiry(timezone.now() + timedelta(seconds=settings.ADMIN_SESSION_MAX_AGE))


def remember_codes(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: keeps a users_api sign-in's codes, users_api user id
    and token issue time in the session, which a revocation of the user ends early. A
    sign-in by another backend (users_api's own admin) keeps the second it happened, the
    issue time of the session."""
    request.session[SESSION_ISSUED_AT_KEY] = getattr(user, _ISSUED_AT_ATTR, int(time.time()))
    codes = getattr(user, _CODES_ATTR, None)
    if codes is None:  # signed in by another backend (users_api's own admin, tests)
        return
    request.session[SESSION_CODES_KEY] = sorted(codes)
    request.session[SESSION_USER_ID_KEY] = getattr(user, _USER_ID_ATTR)


class SessionPermissionsMiddleware:
    """Ends the session of a user revoked since it began (``common.auth.revocations``: one
    cache read), and gives the signed-in user the codes their users_api token carried
    at sign-in.

    After AuthenticationMiddleware. Requests without a session (the APIs' bearer
    calls) are left alone, and the user is only loaded when the session has codes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        local_id = session.get(SESSION_KEY)
        if local_id is not None and revocations.is_revoked(
            user_id=session.get(SESSION_USER_ID_KEY, local_id),
            issued_at=session.get(SESSION_ISSUED_AT_KEY),
        ):
            logout(request)
        codes = request.session.get(SESSION_CODES_KEY)
        if codes is not None and request.user.is_authenticated:
            setattr(request.user, _CODES_ATTR, frozenset(codes))
        return self.get_response(request)


def session_claims(request: HttpRequest) -> dict[str, Any] | None:
    """The signed-in admin user as the claims of an access token, for the API's session
    authentication (``SessionAuthentication``).

    The id is users_api's (kept at sign-in; for an account of this service's own,
    as in users_api's admin, the account's id) and the codes are those the admin
    gives the user, so the API and the admin agree. None for a users_api sign-in
    whose session holds no id (one made before the id was kept): sign in again.
    """
    user = request.user
    if SESSION_CODES_KEY in request.session:
        user_id = request.session.get(SESSION_USER_ID_KEY)
        if user_id is None:
            return None
    else:
        user_id = str(user.pk)
    return {
        "user_id": user_id,
        "sub": user_id,
        "username": user.get_username(),
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "roles": [],
        "permissions": sorted(account_permissions(user)),
    }


def account_permissions(user: Any) -> frozenset[str]:
    """The codes this service's authentication backends give a signed-in account."""
    return frozenset(
        code
        for backend in get_backends()
        if hasattr(backend, "get_all_permissions")
        for code in backend.get_all_permissions(user)
    )


class SessionAuthentication(drf_authentication.SessionAuthentication):
    """The person signed in to this service's admin (DRF's session authentication, CSRF
    enforced on unsafe methods), as the ``TokenUser`` their users_api token would give:
    users_api's id and the codes the admin gives them (``session_claims``).

    After ``JWTAuthentication`` in the settings: a request with a bearer token never
    reaches it, and a request with neither gets the bearer challenge (401).
    """

    def authenticate(self, request: Request) -> tuple[access.TokenUser, None] | None:
        if super().authenticate(request) is None:
            return None
        claims = session_claims(request._request)
        return None if claims is None else (access.TokenUser(claims), None)

    def enforce_csrf(self, request: Request) -> None:
        # On Django's request: the form's token is read from its POST, where DRF's would
        # parse the body, which asks the authenticators who the caller is (a loop).
        super().enforce_csrf(request._request)


def signed_in_by_session(request: Request) -> bool:
    """Whether the caller is a person using the browsable API with an admin session."""
    return isinstance(request.successful_authenticator, SessionAuthentication)
