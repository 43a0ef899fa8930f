"""Fixtures every project's tests share."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # Throttle counters live in the cache; each test starts from zero.
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
