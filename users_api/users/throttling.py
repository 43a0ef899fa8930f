"""Rate limits for the endpoints anyone can call (login, register), and login limits.

A login attempt is counted against the address it comes from: the caller's
(``NUM_PROXIES`` applies), or the browser's when a service's admin hands it
over with a valid proof (``common.admin_auth.verified_client_address``). An
IPv6 address counts as its /64, which one subscriber usually holds whole.

Login limits (docs/adr/0046-login-limits.md):

- every attempt, per address: ``LOGIN_RATE_PER_IP`` (a DRF throttle, before the view);
- failed passwords per account and address: ``LOGIN_FAILURES_PER_ACCOUNT_AND_IP``;
- failed passwords per account, from all addresses: ``LOGIN_FAILURES_PER_ACCOUNT``,
  which does not apply to an address the account logged in from successfully in
  the last ``LOGIN_KNOWN_ADDRESS_DAYS`` days, so a stranger who exhausts it does
  not lock the user out of the places they use.

Rates are read from settings on every request (DRF's own throttles read them
once at import), so each deployment and each test can set its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import math
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from common.admin_auth import CLIENT_ADDRESS_HEADER, verified_client_address
from users.models import LoginSession

_ADDRESS_ATTR = "_login_address"


def _username_of(request: Any) -> str | None:
    data = request.data
    username = data.get("username") if isinstance(data, dict) else None
    if not isinstance(username, str) or not username.strip():
        return None  # nothing to count; the serializer refuses the request
    return username


def login_address(request: Any) -> str:
    """Where a login attempt comes from (see the module's docstring); cached on the request."""
    if not hasattr(request, _ADDRESS_ATTR):
        handed_over = request.headers.get(CLIENT_ADDRESS_HEADER, "")
        username = _username_of(request)
        address = None
        if handed_over and username is not None:
            address = verified_client_address(handed_over, username=username)
        setattr(request, _ADDRESS_ATTR, address or BaseThrottle().get_ident(request))
    return getattr(request, _ADDRESS_ATTR)


def address_key(address: str) -> str:
    """What an address is counted as: itself, or its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _account_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


class _SettingsRateThrottle(SimpleRateThrottle):
    rate_setting = ""

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting)


class LoginPerIPThrottle(_SettingsRateThrottle):
    """Every login attempt, per address, whatever account it names."""

    scope = "login_ip"
    rate_setting = "LOGIN_RATE_PER_IP"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {
            "scope": self.scope,
            "ident": address_key(login_address(request)),
        }


class RegisterPerIPThrottle(_SettingsRateThrottle):
    scope = "register_ip"
    rate_setting = "REGISTER_RATE_PER_IP"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|m|min|h|hour|d|day)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_rate(rate: str) -> tuple[int, int]:
    """``"10/15min"`` → (10, 900): a count per window; the window's number defaults to 1."""
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"not a rate like '10/15min': {rate!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNIT_SECONDS[unit[0]]


@dataclass
class _FailureWindow:
    """Failures counted in a fixed window of the cache (atomic increments, shared by
    every process). A check reserves a slot first, so parallel attempts cannot all
    pass before any of them is counted; a success gives its slot back."""

    key: str
    limit: int
    seconds: int
    reserved: bool = False

    @classmethod
    def of(cls, scope: str, ident: str, rate: str) -> _FailureWindow:
        limit, seconds = _parse_rate(rate)
        window = int(time.time() // seconds)
        return cls(f"login-failures:{scope}:{ident}:{window}", limit, seconds)

    def reserve(self) -> bool:
        """Counts one more attempt; False when that is beyond the limit."""
        cache.add(self.key, 0, timeout=self.seconds + 1)
        try:
            count = cache.incr(self.key)
        except ValueError:  # expired in between: a new window
            cache.add(self.key, 1, timeout=self.seconds + 1)
            count = 1
        self.reserved = True
        return count <= self.limit

    def release(self) -> None:
        if self.reserved:
            self.reserved = False
            with contextlib.suppress(ValueError):  # the window ended meanwhile
                cache.decr(self.key)

    def wait(self) -> int:
        return max(1, math.ceil(self.seconds - time.time() % self.seconds))


class LoginGuard:
    """Failure limits around one password check: ``check()`` before it, and
    ``succeeded()`` after it when the password was right.

    ``check()`` raises Throttled (429 with ``Retry-After``) when the account has
    too many recent failures from this address, or from everywhere and this
    address is not one it logged in from lately.
    """

    def __init__(self, *, username: str, address: str) -> None:
        account = _account_key(username)
        self.username = username
        self.address = address
        self.pair = _FailureWindow.of(
            "account-ip",
            f"{account}:{address_key(address)}",
            settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP,
        )
        self.account = _FailureWindow.of("account", account, settings.LOGIN_FAILURES_PER_ACCOUNT)

    def check(self) -> None:
        if not self.pair.reserve():
            self._refuse(self.pair)
        if not self.account.reserve() and not self._known_address():
            self._refuse(self.account)

    def succeeded(self) -> None:
        """Gives the reservations back; after a failure they stand, as failures."""
        self.pair.release()
        self.account.release()

    def _refuse(self, window: _FailureWindow) -> None:
        # A refused attempt checked no password, so it is not a failure.
        self.succeeded()
        raise Throttled(wait=window.wait())

    def _known_address(self) -> bool:
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            return False
        since = timezone.now() - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
        return LoginSession.objects.filter(
            user__username__iexact=self.username, ip_address=self.address, created_at__gte=since
        ).exists()
