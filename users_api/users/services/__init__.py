"""Write use-cases of users_api, in two modules: ``auth`` (signing up, signing in, tokens,
the caller's own account) and ``management`` (users, grants, roles, the catalogue);
``accounts`` holds the steps both share. Callers import the use-cases from here.

Errors: ``django.core.exceptions.ValidationError`` for bad field values (400,
keyed by field), ``common.api.errors`` domain errors for refused rules (``Forbidden``,
``DomainError`` conflicts, ``NotFound``, ``PreconditionFailed``) with the codes of
``users.errors.UserErrorCode``, ``InvalidCredentials`` for login failures (401).
"""

from users.services.auth import (
    auth_login,
    auth_logout,
    auth_refresh,
    user_password_change,
    user_profile_update,
    user_register,
)
from users.services.management import (
    USER_MANAGED_FIELDS,
    permission_catalogue_sync,
    role_create,
    role_delete,
    role_update,
    user_create,
    user_deactivate,
    user_ensure_manageable,
    user_password_set,
    user_permissions_set,
    user_roles_set,
    user_update,
)

__all__ = [
    "USER_MANAGED_FIELDS",
    "auth_login",
    "auth_logout",
    "auth_refresh",
    "permission_catalogue_sync",
    "role_create",
    "role_delete",
    "role_update",
    "user_create",
    "user_deactivate",
    "user_ensure_manageable",
    "user_password_change",
    "user_password_set",
    "user_permissions_set",
    "user_profile_update",
    "user_register",
    "user_roles_set",
    "user_update",
]
