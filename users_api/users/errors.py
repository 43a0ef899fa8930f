"""users_api's refusals: its problem codes, their texts and the errors that carry them."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from common.errors import TITLES, ErrorText, Unauthenticated, register_error_texts


class UserErrorCode(StrEnum):
    """Codes only users_api answers with (shared ones: ``common.errors.ErrorCode``)."""

    SUPERUSER_REQUIRED = "superuser_required"
    GRANT_EXCEEDS_OWN_PERMISSIONS = "grant_exceeds_own_permissions"
    MORE_PRIVILEGED_USER = "more_privileged_user"
    CANNOT_DEACTIVATE_SELF = "cannot_deactivate_self"
    INVALID_CREDENTIALS = "invalid_credentials"
    TOKEN_NOT_VALID = "token_not_valid"  # noqa: S105 - a problem code
    TOKEN_REUSED = "token_reused"  # noqa: S105 - a problem code


register_error_texts(
    {
        UserErrorCode.SUPERUSER_REQUIRED: ErrorText(
            _("Superuser required"), _("Only a superuser can do this."), status=403
        ),
        UserErrorCode.GRANT_EXCEEDS_OWN_PERMISSIONS: ErrorText(
            _("Permission not held"),
            _("You can only grant or remove permission codes you hold yourself."),
            status=403,
        ),
        UserErrorCode.MORE_PRIVILEGED_USER: ErrorText(
            _("More privileged account"),
            _("You can only manage users holding no more than you do."),
            status=403,
        ),
        UserErrorCode.CANNOT_DEACTIVATE_SELF: ErrorText(
            TITLES[409], _("You cannot deactivate your own account."), status=409
        ),
        UserErrorCode.INVALID_CREDENTIALS: ErrorText(
            _("Invalid credentials"),
            _("No active account was found with these credentials."),
            status=401,
        ),
        UserErrorCode.TOKEN_NOT_VALID: ErrorText(
            _("Invalid token"), _("The refresh token is invalid or expired."), status=401
        ),
        UserErrorCode.TOKEN_REUSED: ErrorText(
            _("Token already used"),
            _("This refresh token was already used; the login has been revoked."),
            status=401,
        ),
    }
)


class InvalidCredentials(Unauthenticated):
    """A sign-in or a refresh that identifies nobody (401 with the bearer challenge)."""

    default_code = UserErrorCode.INVALID_CREDENTIALS
