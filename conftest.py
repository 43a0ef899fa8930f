"""Fixtures every project's tests share.

The end-to-end suite runs without Django settings (its services are separate
processes), so Django and DRF are only touched once settings exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers",
        "default_language: run in the services' default language (pt-br), not in English",
    )


@pytest.fixture(autouse=True)
def _english_unless_asked(request: Any) -> Iterator[None]:
    """The tests read the services' messages in English, as a client sending
    ``Accept-Language: en`` would; tests marked ``default_language`` see what a request
    without a preference gets (docs/api.md: Brazilian Portuguese)."""
    if not settings.configured or request.node.get_closest_marker("default_language"):
        yield
        return
    from django.test import override_settings
    from django.utils import translation

    with override_settings(LANGUAGE_CODE="en"), translation.override("en"):
        yield


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
