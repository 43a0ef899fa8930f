"""Minimal views exercising the shared plumbing exactly as a service would."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.errors import DomainError
from common.api.idempotency import idempotent_create
from common.api.pagination import paginated
from common.auth.access import HasPermission, model_permissions
from common.tests.testapp.models import Widget
from common.versioning import check_version, expected_version, with_etag


class WidgetSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=50)
    quantity = serializers.IntegerField(min_value=0)
    version = serializers.IntegerField(read_only=True)


class WidgetItemsSerializer(serializers.Serializer):
    items = WidgetSerializer(many=True)


class WidgetListView(GenericAPIView):
    permission_classes = [model_permissions("clients.client", methods=("GET", "POST"))]
    search_fields = ["name"]
    ordering_fields = ["name", "quantity"]
    ordering = ["name"]

    def get_queryset(self) -> Any:
        return Widget.objects.all()

    def get(self, request: Request) -> Response:
        return paginated(self, WidgetSerializer)

    @idempotent_create
    def post(self, request: Request) -> Response:
        serializer = WidgetItemsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            created = [Widget.objects.create(**item) for item in serializer.validated_data["items"]]
        return Response(WidgetSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class WidgetDetailView(GenericAPIView):
    permission_classes = [model_permissions("clients.client", methods=("GET", "PATCH"))]

    def get(self, request: Request, pk: int) -> Response:
        widget = get_object_or_404(Widget, pk=pk)
        return with_etag(Response(WidgetSerializer(widget).data), widget.version)

    def patch(self, request: Request, pk: int) -> Response:
        serializer = WidgetSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            widget = get_object_or_404(Widget.objects.select_for_update(), pk=pk)
            check_version(widget, expected_version(request))
            for field, value in serializer.validated_data.items():
                setattr(widget, field, value)
            widget.save()
        return with_etag(Response(WidgetSerializer(widget).data), widget.version)


class WidgetCreateThenRefuseView(GenericAPIView):
    """Writes a row, then a rule says no: the row must not survive the 409."""

    permission_classes = [HasPermission("clients.add_client")]

    def post(self, request: Request) -> Response:
        Widget.objects.create(name="doomed")
        raise DomainError("Refused after writing.", code="refused_after_write")


class CrashView(GenericAPIView):
    permission_classes = [HasPermission("clients.view_client")]

    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internals")
