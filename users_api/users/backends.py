"""Django authentication backend for users_api's own admin site.

Permissions are the user's effective codes (roles plus direct grants), the same
codes the access token carries, so the admin and the API agree. Sign-ins are
held to the API login's failure limits (``users.throttling.LoginGuard``), so
the admin's login page is no way around them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from users.models import User
from users.permission_catalogue import CATALOGUE
from users.selectors import user_effective_permission_codes
from users.throttling import LoginGuard

_CACHE_ATTR = "_effective_permission_codes"


class PermissionCodeBackend(ModelBackend):
    def authenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        """Raises ValidationError (``throttled``, shown on the login form) past the limits."""
        if request is None or username is None or password is None:
            return super().authenticate(request, username, password, **kwargs)
        guard = LoginGuard(username=username, address=BaseThrottle().get_ident(request))
        try:
            guard.check()
        except Throttled as refused:
            raise ValidationError(
                gettext("Too many sign-in attempts; try again in %(seconds)d seconds.")
                % {"seconds": round(refused.wait)},
                code="throttled",
            ) from refused
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            guard.succeeded()
        return user

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not isinstance(user_obj, User) or not user_obj.is_active or obj is not None:
            return set()
        if user_obj.is_superuser:
            return set(CATALOGUE)
        if not hasattr(user_obj, _CACHE_ATTR):
            setattr(user_obj, _CACHE_ATTR, user_effective_permission_codes(user=user_obj))
        return set(getattr(user_obj, _CACHE_ATTR))

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return self.get_all_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(code.startswith(f"{app_label}.") for code in self.get_all_permissions(user_obj))
