"""Deployment checks (`manage.py check --deploy`) for running more than one process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def cache_is_shared(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Throttling counts (and cached sessions, if any) live in the cache: in one
    process's memory, every replica counts on its own."""
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        return [
            Warning(
                "The cache is this process's memory: with several processes or replicas, "
                "sign-in throttling counts per process.",
                hint="Set CACHE_URL to a Redis every process of the service shares.",
                id="common.W001",
            )
        ]
    return []
