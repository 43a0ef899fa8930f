"""Bearer authentication of users_api: the token, then the account behind it.

Other services verify tokens offline and learn of a deactivation from users_api's
events (within 60 s: common.auth.revocations, which this class applies too). users_api
holds the accounts, so it also checks, with one indexed query per request, that the
account still exists and is active: a deactivation takes effect here at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from rest_framework.exceptions import AuthenticationFailed

from common.api.errors import ErrorCode
from common.auth.access import JWTAuthentication


class ActiveAccountJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        """Raises AuthenticationFailed (401 ``user_inactive``) for an inactive or gone account."""
        user = super().get_user(validated_token)
        try:
            # get_user_model(), not an import: DRF imports this class while users.models loads.
            active = get_user_model().objects.filter(pk=user.id, is_active=True).exists()
        except ValidationError:  # a user id that is not a UUID: no such account
            active = False
        if not active:
            raise AuthenticationFailed(
                gettext("This account is deactivated or no longer exists."),
                code=ErrorCode.USER_INACTIVE,
            )
        return user
