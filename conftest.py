"""Fixtures every project's tests share.

The end-to-end suite runs without Django settings (its services are separate
processes), so Django and DRF are only touched once settings exist.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # Throttle counters live in the cache; each test starts from zero.
    if settings.configured:
        from django.core.cache import cache

        cache.clear()


@pytest.fixture
def api_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()
