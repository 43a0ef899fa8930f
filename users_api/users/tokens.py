"""Refresh tokens and the claims users_api puts in every token pair."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework_simplejwt import tokens

from common.auth.access import AccessToken, KeyIdBackendMixin


class RefreshToken(KeyIdBackendMixin, tokens.RefreshToken):
    access_token_class = AccessToken


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
