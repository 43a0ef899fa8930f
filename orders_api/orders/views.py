"""HTTP layer of orders_api: parse input, call a service or selector, render output."""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.filters import FilterSet, UTCIsoDateTimeFilter, ValueOrLabelFilter
from common.api.idempotency import idempotent_create
from common.api.pagination import paginated
from common.api.serializers import RequestBodySerializer
from common.api.views import DestroyMixin, PatchMixin, RetrieveMixin, render
from common.auth.access import HasPermission, MethodPermission, model_permissions
from common.auth.actors import Actor, actor_of
from common.localization.search import SEARCH
from common.versioning import expected_version
from orders import selectors, services
from orders.browsable import ListWithBlankItem, NoBody
from orders.models import ClientSnapshot, Order, OrderItem, OrderStatusChange, ProductSnapshot
from orders.serializers import (
    ClientSnapshotOutputSerializer,
    OrderItemOutputSerializer,
    OrderOutputSerializer,
    ProductSnapshotOutputSerializer,
)

VIEW = "orders.view_order"
CHANGE = "orders.change_order"


# --- orders ---------------------------------------------------------------------------


class OrderFilter(FilterSet):
    status = ValueOrLabelFilter(choices=Order.Status.choices)
    stock_status = ValueOrLabelFilter(choices=Order.StockStatus.choices)
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["status", "stock_status", "client_id", "created_after", "created_before"]


class ItemInputSerializer(RequestBodySerializer):
    labels_from = OrderItem
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, initial=1)

    class Meta:
        list_serializer_class = ListWithBlankItem


class OrderListView(GenericAPIView):
    name = _("Orders")  # the browsable API's title
    permission_classes = [model_permissions("orders.order", methods=("GET", "POST"))]
    filterset_class = OrderFilter
    search_fields = [SEARCH, "=number"]  # the client's name without accents, or the number
    ordering_fields = ["number", "created_at", "total", "status"]
    ordering = ["-number"]

    class InputSerializer(RequestBodySerializer):
        labels_from = Order
        client_id = serializers.UUIDField()
        items = ItemInputSerializer(
            many=True, allow_empty=True, max_length=services.MAX_ITEMS_PER_ORDER
        )
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
        response = render(OrderOutputSerializer, order, status.HTTP_201_CREATED)
        response["Location"] = reverse("order-detail", kwargs={"pk": order.pk})
        return response


@extend_schema(tags=["orders"])
class OrderDetailView(RetrieveMixin, PatchMixin):
    name = _("Order")  # the browsable API's title
    permission_classes = [MethodPermission({"GET": VIEW, "PATCH": CHANGE})]

    class InputSerializer(RequestBodySerializer):
        labels_from = Order
        notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
        shipping_address_id = serializers.UUIDField(required=False)

    serializer_class = InputSerializer
    output_serializer_class = OrderOutputSerializer

    def fetch(self, *, pk: uuid.UUID) -> Order:
        return selectors.order_get(order_id=pk)

    def update(
        self, *, actor: Actor, expected_version: int | None, data: dict[str, Any], pk: uuid.UUID
    ) -> Order:
        return services.order_update(
            actor=actor, order_id=pk, expected_version=expected_version, **data
        )


class OrderItemListView(GenericAPIView):
    name = _("Order items")  # the browsable API's title
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
        response = render(OrderItemOutputSerializer, item, status.HTTP_201_CREATED)
        response["Location"] = reverse("order-item-detail", kwargs={"pk": pk, "iid": item.pk})
        return response


@extend_schema(tags=["orders"])
class OrderItemDetailView(PatchMixin, DestroyMixin):
    name = _("Order item")  # the browsable API's title
    permission_classes = [HasPermission(CHANGE)]

    class InputSerializer(RequestBodySerializer):
        labels_from = OrderItem
        quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)

    serializer_class = InputSerializer
    output_serializer_class = OrderItemOutputSerializer

    def fetch(self, *, pk: uuid.UUID, iid: uuid.UUID) -> OrderItem:
        return selectors.order_item_get(order_id=pk, item_id=iid)

    def update(
        self,
        *,
        actor: Actor,
        expected_version: int | None,
        data: dict[str, Any],
        pk: uuid.UUID,
        iid: uuid.UUID,
    ) -> OrderItem:
        return services.order_item_update(
            actor=actor, order_id=pk, item_id=iid, expected_version=expected_version, **data
        )

    def destroy(
        self, *, actor: Actor, expected_version: int | None, pk: uuid.UUID, iid: uuid.UUID
    ) -> None:
        services.order_item_remove(
            actor=actor, order_id=pk, item_id=iid, expected_version=expected_version
        )


class OrderFinishView(GenericAPIView):
    """Close an open order that has items; stock leaves products_api afterwards."""

    name = _("Finish order")  # the browsable API's title

    permission_classes = [HasPermission(CHANGE)]
    serializer_class = NoBody

    class InputSerializer(RequestBodySerializer):
        pass  # takes no field, so any field sent is refused as unknown

    @extend_schema(request=None, responses={200: OrderOutputSerializer}, tags=["orders"])
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        order = services.order_finish(
            order_id=pk, actor=actor_of(request.user), expected_version=expected_version(request)
        )
        return render(OrderOutputSerializer, order)


class OrderCancelView(GenericAPIView):
    name = _("Cancel order")  # the browsable API's title
    permission_classes = [HasPermission("orders.cancel_order")]

    class InputSerializer(RequestBodySerializer):
        labels_from = OrderStatusChange
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
        return render(OrderOutputSerializer, order)


# --- local copies ---------------------------------------------------------------------


class _SnapshotListView(GenericAPIView):
    permission_classes = [HasPermission(VIEW)]
    output: type[serializers.Serializer]

    def get(self, request: Request) -> Response:
        return paginated(self, self.output)


class ClientSnapshotListView(_SnapshotListView):
    """The copies of clients_api's clients this service keeps (read only)."""

    name = _("Client copies")  # the browsable API's title

    output = ClientSnapshotOutputSerializer
    filterset_fields = ["is_active"]
    search_fields = [SEARCH]  # name, document, addresses' districts and cities
    ordering_fields = ["name", "synced_at"]
    ordering = ["name"]
    queryset = ClientSnapshot.objects.all()

    @extend_schema(responses={200: ClientSnapshotOutputSerializer(many=True)}, tags=["snapshots"])
    def get(self, request: Request) -> Response:
        return super().get(request)


@extend_schema(tags=["snapshots"])
class ClientSnapshotDetailView(RetrieveMixin):
    name = _("Client copy")  # the browsable API's title
    permission_classes = [HasPermission(VIEW)]
    output_serializer_class = ClientSnapshotOutputSerializer

    def fetch(self, *, pk: uuid.UUID) -> ClientSnapshot:
        return selectors.client_snapshot_get(client_id=pk)


class ProductSnapshotListView(_SnapshotListView):
    """The copies of products_api's products this service keeps (read only)."""

    name = _("Product copies")  # the browsable API's title

    output = ProductSnapshotOutputSerializer
    filterset_fields = ["is_active"]
    search_fields = [SEARCH]  # name and SKU
    ordering_fields = ["name", "sku", "synced_at"]
    ordering = ["name"]
    queryset = ProductSnapshot.objects.all()

    @extend_schema(responses={200: ProductSnapshotOutputSerializer(many=True)}, tags=["snapshots"])
    def get(self, request: Request) -> Response:
        return super().get(request)


@extend_schema(tags=["snapshots"])
class ProductSnapshotDetailView(RetrieveMixin):
    name = _("Product copy")  # the browsable API's title
    permission_classes = [HasPermission(VIEW)]
    output_serializer_class = ProductSnapshotOutputSerializer

    def fetch(self, *, pk: uuid.UUID) -> ProductSnapshot:
        return selectors.product_snapshot_get(product_id=pk)
