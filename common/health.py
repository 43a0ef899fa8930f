"""Liveness (``/healthz``) and readiness (``/readyz``) endpoints.

Readiness runs every check named in ``settings.READINESS_CHECKS``; each is a
callable returning a JSON-able dict with an ``ok`` boolean. Any failing check
turns the answer into 503 so a load balancer stops sending traffic.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def database_check() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return {"name": "database", "ok": False, "error": exc.__class__.__name__}
    return {"name": "database", "ok": True, "vendor": connection.vendor}


def broker_check() -> dict[str, Any]:
    from common.events.transport import BrokerUnavailable, publisher

    try:
        publisher().ping()
    except BrokerUnavailable as exc:
        return {"name": "broker", "ok": False, "error": str(exc)[:200]}
    return {"name": "broker", "ok": True}


def outbox_check() -> dict[str, Any]:
    """Reports the backlog; a backlog alone does not make the service unready."""
    from common.events.relay import pending_stats

    return {"name": "outbox", "ok": True, **pending_stats()}


_status_schema = inline_serializer(
    "HealthStatus",
    fields={"status": serializers.CharField(), "service": serializers.CharField()},
)


class HealthView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: _status_schema}, tags=["health"])
    def get(self, request: Request) -> Response:
        return Response({"status": "ok", "service": settings.SERVICE_NAME})


class ReadyView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: _status_schema, 503: _status_schema}, tags=["health"])
    def get(self, request: Request) -> Response:
        checks = [import_string(path)() for path in settings.READINESS_CHECKS]
        ready = all(check["ok"] for check in checks)
        return Response(
            {
                "status": "ready" if ready else "not ready",
                "service": settings.SERVICE_NAME,
                "checks": checks,
            },
            status=200 if ready else 503,
        )
