"""Stateless JWT authentication and permission checks for every service.

Tokens are RS256 only, issued by users_api and verified with its public key;
``iss`` and ``aud`` are checked on every verification. Permissions come from
the token's ``permissions`` claim, so a change of grants takes effect when the
user next obtains a token (access tokens live minutes).

Beside the bearer token, a person signed in to the service's admin uses the
browsable API with that session (``common.auth.admin_sign_in.SessionAuthentication``):
the same ``TokenUser``, with the codes the admin gives them, and CSRF checked.

A token issued before its user's revocation (deactivation, codes removed, logout,
password change: ``common.auth.revocations``) is refused with 401 ``token_revoked``.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework_simplejwt import authentication, models, tokens
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.backends import TokenBackend

from common.api.errors import ErrorCode
from common.auth import jwt_keys, revocations


class KeyIdTokenBackend(TokenBackend):
    """simplejwt's backend, adding the ``kid`` header that JWKS clients select keys by."""

    def encode(self, payload: dict[str, Any]) -> str:
        jwt_payload = dict(payload)
        jwt_payload["aud"] = self.audience
        jwt_payload["iss"] = self.issuer
        return jwt.encode(
            jwt_payload,
            self.prepared_signing_key,
            algorithm=self.algorithm,
            headers={"kid": self.key_id},
            json_encoder=self.json_encoder,
        )

    @functools.cached_property
    def key_id(self) -> str:
        return jwt_keys.public_jwk(self.verifying_key)["kid"]


@functools.lru_cache(maxsize=4)
def _backend(
    algorithm: str, signing_key: str, verifying_key: str, audience: str, issuer: str, leeway: int
) -> KeyIdTokenBackend:
    return KeyIdTokenBackend(algorithm, signing_key, verifying_key, audience, issuer, None, leeway)


def token_backend() -> KeyIdTokenBackend:
    # Read through the module: simplejwt rebinds api_settings when SIMPLE_JWT changes
    # (tests), and the cache is keyed on the values, so the backend always matches.
    api_settings = simplejwt_settings.api_settings
    return _backend(
        api_settings.ALGORITHM,
        api_settings.SIGNING_KEY,
        api_settings.VERIFYING_KEY,
        api_settings.AUDIENCE,
        api_settings.ISSUER,
        api_settings.LEEWAY,
    )


class KeyIdBackendMixin:
    @property
    def token_backend(self) -> KeyIdTokenBackend:
        return token_backend()


class AccessToken(KeyIdBackendMixin, tokens.AccessToken):
    """The only token class accepted on API requests (a refresh token is refused)."""


class TokenUser(models.TokenUser):
    """The caller, as the access token describes it; no database lookup."""

    @functools.cached_property
    def permissions(self) -> frozenset[str]:
        return frozenset(self.token.get("permissions", ()))

    @functools.cached_property
    def roles(self) -> list[str]:
        return list(self.token.get("roles", ()))

    def has_code(self, code: str) -> bool:
        return bool(self.is_superuser) or code in self.permissions

    def get_all_permissions(self, obj: Any = None) -> set[str]:
        return set(self.permissions)

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return self.has_code(perm)


class JWTAuthentication(authentication.JWTStatelessUserAuthentication):
    """Bearer access tokens, verified without touching the database.

    A token this process has verified is not verified again until it expires: a
    client sends the same token with every request of its few minutes, and the
    signature check with PyJWT's parsing cost more than the rest of a small
    request's authentication. The cache is keyed by the token's exact text and
    the verifying key, holds at most ``VERIFIED_TOKENS`` tokens, and a hit still
    refuses a token past its ``exp``.
    """

    www_authenticate_realm = "api"

    def get_validated_token(self, raw_token: bytes) -> tokens.Token:
        key = (raw_token, token_backend().verifying_key)
        with _verified_lock:
            cached = _verified.get(key)
        if cached is not None and time.time() < cached[1]:
            return cached[0]
        token = super().get_validated_token(raw_token)  # raises InvalidToken
        with _verified_lock:
            _verified.pop(key, None)
            while len(_verified) >= VERIFIED_TOKENS:
                del _verified[next(iter(_verified))]  # the oldest
            _verified[key] = (token, float(token["exp"]))
        return token

    def get_user(self, validated_token: tokens.Token) -> TokenUser:
        """The token's user; raises AuthenticationFailed (401 ``token_revoked``) when the
        token was issued at or before its user's revocation, or the user is deactivated
        (``common.auth.revocations``): one cache read, checked on every request."""
        user = super().get_user(validated_token)
        if revocations.is_revoked(user_id=user.id, issued_at=validated_token.get("iat")):
            raise AuthenticationFailed(TOKEN_REVOKED, code=ErrorCode.TOKEN_REVOKED)
        return user


TOKEN_REVOKED = _(
    "This token was revoked (the account was deactivated, lost permissions or signed "
    "out); obtain a new one."
)


#: Tokens each process remembers as verified (see JWTAuthentication).
VERIFIED_TOKENS = 1024
_verified: dict[tuple[bytes, str], tuple[tokens.Token, float]] = {}
_verified_lock = threading.Lock()


def _known(code: str) -> str:
    """The code, if this service declares it (``settings.PERMISSION_CODES``, its part of
    users_api's catalogue): a typo in a view fails at import time, not by locking users out."""
    if code not in settings.PERMISSION_CODES:
        raise ValueError(
            f"{code!r} is not in settings.PERMISSION_CODES, this service's part of the "
            "permission catalogue users_api grants from"
        )
    return code


def _caller_has(request: Any, code: str) -> bool:
    user = request.user
    return isinstance(user, TokenUser) and user.has_code(code)


class HasPermission(BasePermission):
    """Allows the request when the token carries ``code`` (or is a superuser's).

    Use it directly in ``permission_classes``: ``[HasPermission("clients.view_client")]``.
    Unauthenticated callers get 401, authenticated ones without the code 403.
    """

    def __init__(self, code: str) -> None:
        self.required_code = _known(code)
        self.message = format_lazy(_("This needs the permission {code}."), code=code)

    def __call__(self) -> HasPermission:
        # DRF instantiates each entry of permission_classes; an instance stands for itself.
        return self

    def has_permission(self, request: Any, view: Any) -> bool:
        return _caller_has(request, self.required_code)


class MethodPermission(BasePermission):
    """One permission code per HTTP method; a method without a code is refused.

    HEAD and OPTIONS read what GET reads: they need GET's code unless ``codes``
    names one of their own, so a map lists only the methods its view implements.
    """

    def __init__(self, codes: Mapping[str, str]) -> None:
        self.codes = {method.upper(): _known(code) for method, code in codes.items()}
        if "GET" in self.codes:
            for method in ("HEAD", "OPTIONS"):
                self.codes.setdefault(method, self.codes["GET"])

    def __call__(self) -> MethodPermission:
        return self

    def has_permission(self, request: Any, view: Any) -> bool:
        code = self.codes.get(request.method)
        if code is None:
            # A method the view does not implement falls through to DRF's 405.
            return not hasattr(view, request.method.lower())
        return _caller_has(request, code)


def model_permissions(
    model_code: str, *, methods: Iterable[str] = ("GET", "POST", "PUT", "PATCH", "DELETE")
) -> MethodPermission:
    """Django's view/add/change/delete mapping for ``"<app_label>.<model>"``.

    GET (and with it HEAD and OPTIONS) needs ``view``, POST ``add``, PUT and PATCH
    ``change``, DELETE ``delete``. Only the methods listed get a code.
    """
    app_label, model = model_code.split(".")
    action_by_method = {
        "GET": "view",
        "POST": "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "delete",
    }
    return MethodPermission(
        {
            method: f"{app_label}.{action_by_method[method]}_{model}"
            for method in (method.upper() for method in methods)
        }
    )
