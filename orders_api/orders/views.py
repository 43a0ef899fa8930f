"""HTTP layer of orders_api: parse input, call a service or selector, render output."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from common.actors import actor_of
from common.auth import HasPermission, MethodPermission, model_permissions
from common.browsable import ListWithBlankItem, NoBody
from common.fields import UTCDateTimeField
from common.filters import UTCIsoDateTimeFilter, ValueOrLabelFilter
from common.idempotency import idempotent_create
from common.pagination import paginated
from common.versioning import expected_version, with_etag
from orders import selectors, services
from orders.models import ClientSnapshot, Order, OrderItem, ProductSnapshot

MONEY = {"max_digits": 14, "decimal_places": 2}
VIEW = "orders.view_order"
CHANGE = "orders.change_order"


# --- output shapes --------------------------------------------------------------------


class OrderItemOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    product_id = serializers.UUIDField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    version = serializers.IntegerField()


class OrderOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.IntegerField()
    client_id = serializers.UUIDField()
    client_name = serializers.CharField()
    shipping_address = serializers.JSONField(allow_null=True)
    status = serializers.CharField()
    stock_status = serializers.CharField(
        help_text="none until finished; pending, then issued or rejected by products_api"
    )
    stock_reason = serializers.CharField()
    stock_shortages = serializers.JSONField()
    notes = serializers.CharField()
    cancel_reason = serializers.CharField()
    items = OrderItemOutputSerializer(many=True, source="items.all")
    total = serializers.DecimalField(**MONEY)
    version = serializers.IntegerField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


def _render_order(order: Order, status_code: int = status.HTTP_200_OK) -> Response:
    return with_etag(Response(OrderOutputSerializer(order).data, status=status_code), order.version)


def _order_response(order: Order, status_code: int = status.HTTP_200_OK) -> Response:
    """The order as stored now, read back with its items."""
    return _render_order(selectors.order_get(order_id=order.pk), status_code)


def _item_response(item: OrderItem, status_code: int = status.HTTP_200_OK) -> Response:
    item = selectors.order_item_get(item_id=item.pk)
    return with_etag(
        Response(OrderItemOutputSerializer(item).data, status=status_code), item.version
    )


# --- orders ---------------------------------------------------------------------------


class OrderFilter(django_filters.FilterSet):
    status = ValueOrLabelFilter(choices=Order.Status.choices)
    stock_status = ValueOrLabelFilter(choices=Order.StockStatus.choices)
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["status", "stock_status", "client_id", "created_after", "created_before"]


class ItemInputSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, initial=1)

    class Meta:
        list_serializer_class = ListWithBlankItem


class OrderListView(GenericAPIView):
    permission_classes = [model_permissions("orders.order", methods=("GET", "POST"))]
    filterset_class = OrderFilter
    search_fields = ["client_name", "=number"]
    ordering_fields = ["number", "created_at", "total", "status"]
    ordering = ["-number"]

    class InputSerializer(serializers.Serializer):
        client_id = serializers.UUIDField()
        items = ItemInputSerializer(many=True, allow_empty=True, max_length=500)
        notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
        shipping_address_id = serializers.UUIDField(required=False, allow_null=True)

    serializer_class = InputSerializer  # the browsable API's form

    def get_queryset(self) -> Any:
        return selectors.order_list()

    @extend_schema(responses={200: OrderOutputSerializer(many=True)}, tags=["orders"])
    def get(self, request: Request) -> Response:
        return paginated(self, OrderOutputSerializer)

    @idempotent_create
    @extend_schema(request=InputSerializer, responses={201: OrderOutputSerializer}, tags=["orders"])
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = services.order_create(
            actor=actor_of(request.user),
            client_id=data["client_id"],
            items=[services.ItemRequest(**item) for item in data["items"]],
            notes=data.get("notes", ""),
            shipping_address_id=data.get("shipping_address_id"),
        )
        # The order as written, items included: nothing to read back.
        response = _render_order(order, status.HTTP_201_CREATED)
        response["Location"] = reverse("order-detail", kwargs={"pk": order.pk})
        return response


class OrderDetailView(GenericAPIView):
    permission_classes = [MethodPermission({"GET": VIEW, "PATCH": CHANGE})]

    class InputSerializer(serializers.Serializer):
        notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
        shipping_address_id = serializers.UUIDField(required=False)

    serializer_class = InputSerializer

    @extend_schema(responses={200: OrderOutputSerializer}, tags=["orders"])
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        return _order_response(selectors.order_get(order_id=pk))

    @extend_schema(request=InputSerializer, responses={200: OrderOutputSerializer}, tags=["orders"])
    def patch(self, request: Request, pk: uuid.UUID) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.order_update(
            actor=actor_of(request.user),
            order_id=pk,
            expected_version=expected_version(request),
            **serializer.validated_data,
        )
        return _order_response(order)


class OrderItemListView(GenericAPIView):
    permission_classes = [HasPermission(CHANGE)]
    serializer_class = ItemInputSerializer

    @idempotent_create
    @extend_schema(
        request=ItemInputSerializer, responses={201: OrderItemOutputSerializer}, tags=["orders"]
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        serializer = ItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.order_item_add(
            actor=actor_of(request.user),
            order_id=pk,
            expected_version=expected_version(request),
            **serializer.validated_data,
        )
        response = _item_response(item, status.HTTP_201_CREATED)
        response["Location"] = reverse("order-item-detail", kwargs={"pk": pk, "iid": item.pk})
        return response


class OrderItemDetailView(GenericAPIView):
    permission_classes = [HasPermission(CHANGE)]

    class InputSerializer(serializers.Serializer):
        quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)

    serializer_class = InputSerializer

    @extend_schema(
        request=InputSerializer, responses={200: OrderItemOutputSerializer}, tags=["orders"]
    )
    def patch(self, request: Request, pk: uuid.UUID, iid: uuid.UUID) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.order_item_update(
            actor=actor_of(request.user),
            order_id=pk,
            item_id=iid,
            expected_version=expected_version(request),
            **serializer.validated_data,
        )
        return _item_response(item)

    @extend_schema(responses={204: None}, tags=["orders"])
    def delete(self, request: Request, pk: uuid.UUID, iid: uuid.UUID) -> Response:
        services.order_item_remove(
            actor=actor_of(request.user),
            order_id=pk,
            item_id=iid,
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrderFinishView(GenericAPIView):
    """Close an open order that has items; stock leaves products_api afterwards."""

    permission_classes = [HasPermission(CHANGE)]
    serializer_class = NoBody

    @extend_schema(request=None, responses={200: OrderOutputSerializer}, tags=["orders"])
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        order = services.order_finish(
            order_id=pk, actor=actor_of(request.user), expected_version=expected_version(request)
        )
        return _order_response(order)


class OrderCancelView(GenericAPIView):
    permission_classes = [HasPermission("orders.cancel_order")]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, max_length=200)

    serializer_class = InputSerializer

    @extend_schema(request=InputSerializer, responses={200: OrderOutputSerializer}, tags=["orders"])
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.order_cancel(
            order_id=pk,
            actor=actor_of(request.user),
            expected_version=expected_version(request),
            reason=serializer.validated_data.get("reason", ""),
        )
        return _order_response(order)


# --- local copies ---------------------------------------------------------------------


class ClientSnapshotOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    name = serializers.CharField()
    document = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    is_active = serializers.BooleanField()
    addresses = serializers.JSONField()
    version = serializers.IntegerField()
    synced_at = UTCDateTimeField()


class ProductSnapshotOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    price = serializers.DecimalField(**MONEY)
    is_active = serializers.BooleanField()
    stock_quantity = serializers.IntegerField()
    min_quantity = serializers.IntegerField()
    max_quantity = serializers.IntegerField()
    version = serializers.IntegerField()
    synced_at = UTCDateTimeField()


class _SnapshotListView(GenericAPIView):
    permission_classes = [HasPermission(VIEW)]
    output: type[serializers.Serializer]

    def get(self, request: Request) -> Response:
        return paginated(self, self.output)


class _SnapshotDetailView(GenericAPIView):
    permission_classes = [HasPermission(VIEW)]
    output: type[serializers.Serializer]

    def get(self, request: Request, pk: uuid.UUID) -> Response:
        snapshot = get_object_or_404(self.get_queryset(), pk=pk)
        return with_etag(Response(self.output(snapshot).data), snapshot.version)


class ClientSnapshotListView(_SnapshotListView):
    """The copies of clients_api's clients this service keeps (read only)."""

    output = ClientSnapshotOutputSerializer
    filterset_fields = ["is_active"]
    search_fields = ["name", "document"]
    ordering_fields = ["name", "synced_at"]
    ordering = ["name"]
    queryset = ClientSnapshot.objects.all()

    @extend_schema(responses={200: ClientSnapshotOutputSerializer(many=True)}, tags=["snapshots"])
    def get(self, request: Request) -> Response:
        return super().get(request)


class ClientSnapshotDetailView(_SnapshotDetailView):
    output = ClientSnapshotOutputSerializer
    queryset = ClientSnapshot.objects.all()

    @extend_schema(responses={200: ClientSnapshotOutputSerializer}, tags=["snapshots"])
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        return super().get(request, pk)


class ProductSnapshotListView(_SnapshotListView):
    """The copies of products_api's products this service keeps (read only)."""

    output = ProductSnapshotOutputSerializer
    filterset_fields = ["is_active"]
    search_fields = ["name", "sku"]
    ordering_fields = ["name", "sku", "synced_at"]
    ordering = ["name"]
    queryset = ProductSnapshot.objects.all()

    @extend_schema(responses={200: ProductSnapshotOutputSerializer(many=True)}, tags=["snapshots"])
    def get(self, request: Request) -> Response:
        return super().get(request)


class ProductSnapshotDetailView(_SnapshotDetailView):
    output = ProductSnapshotOutputSerializer
    queryset = ProductSnapshot.objects.all()

    @extend_schema(responses={200: ProductSnapshotOutputSerializer}, tags=["snapshots"])
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        return super().get(request, pk)
