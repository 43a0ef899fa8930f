"""users_api's refusals: its problem codes and the errors that carry them."""

from __future__ import annotations

from enum import StrEnum

from common.errors import Unauthenticated


class UserErrorCode(StrEnum):
    """Codes only users_api answers with (shared ones: ``common.errors.ErrorCode``)."""

    SUPERUSER_REQUIRED = "superuser_required"
    GRANT_EXCEEDS_OWN_PERMISSIONS = "grant_exceeds_own_permissions"
    MORE_PRIVILEGED_USER = "more_privileged_user"
    CANNOT_DEACTIVATE_SELF = "cannot_deactivate_self"
    INVALID_CREDENTIALS = "invalid_credentials"
    TOKEN_NOT_VALID = "token_not_valid"  # noqa: S105 - a problem code
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 - a problem code
    TOKEN_REUSED = "token_reused"  # noqa: S105 - a problem code


class InvalidCredentials(Unauthenticated):
    """A sign-in or a refresh that identifies nobody (401 with the bearer challenge)."""

    default_code = UserErrorCode.INVALID_CREDENTIALS
    default_message = "No active account was found with these credentials."
