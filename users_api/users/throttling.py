"""Rate limits for the endpoints anyone can call (login, register).

Rates are read from settings on every request (DRF's own throttles read them
once at import), so each deployment and each test can set its own.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    rate_setting = ""

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting)


class LoginPerIPThrottle(_SettingsRateThrottle):
    scope = "login_ip"
    rate_setting = "LOGIN_RATE_PER_IP"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginPerAccountThrottle(_SettingsRateThrottle):
    """Counts attempts per username, whatever address they come from."""

    scope = "login_account"
    rate_setting = "LOGIN_RATE_PER_ACCOUNT"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username.strip():
            return None  # nothing to count; the serializer refuses the request
        ident = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class RegisterPerIPThrottle(LoginPerIPThrottle):
    scope = "register_ip"
    rate_setting = "REGISTER_RATE_PER_IP"
