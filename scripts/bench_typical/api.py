"""Serializers, viewsets and URLs, in the shapes of the DRF tutorial and API guide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connections, transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path
from rest_framework import filters, routers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from bench_typical.models import (
    Address,
    Client,
    ClientCopy,
    Order,
    OrderItem,
    Product,
    ProductCopy,
    StockMovement,
)


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = "__all__"


class StockMovementSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockMovement
        fields = "__all__"
        read_only_fields = [
            "product",
            "delta",
            "quantity_before",
            "quantity_after",
            "created_by",
            "created_by_username",
        ]


class ProductViewSet(viewsets.ModelViewSet):
    queryset = Product.objects.order_by("name")
    serializer_class = ProductSerializer
    filter_backends = [
        *viewsets.ModelViewSet.filter_backends,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    filterset_fields = ["is_active"]
    search_fields = ["name", "sku"]
    ordering_fields = ["name", "sku", "price", "stock_quantity"]

    @action(detail=True, methods=["post"], url_path="stock-movements")
    def stock_movements(self, request: Request, pk: str | None = None) -> Response:
        serializer = StockMovementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quantity = serializer.validated_data["quantity"]
        delta = quantity if serializer.validated_data["kind"] == "in" else -quantity
        with transaction.atomic(using="products"):
            product = get_object_or_404(Product.objects.select_for_update(), pk=pk)
            before = product.stock_quantity
            if before + delta < 0:
                return Response({"detail": "Not enough stock."}, status=status.HTTP_409_CONFLICT)
            product.stock_quantity = before + delta
            product.version += 1
            product.save()
            serializer.save(
                product=product,
                delta=delta,
                quantity_before=before,
                quantity_after=product.stock_quantity,
                created_by=str(request.user.id),
                created_by_username=request.user.username,
            )
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        exclude = ["client"]


class ClientSerializer(serializers.ModelSerializer):
    addresses = AddressSerializer(many=True, read_only=True)

    class Meta:
        model = Client
        fields = "__all__"


class ClientViewSet(viewsets.ModelViewSet):
    queryset = Client.objects.prefetch_related("addresses").order_by("name")
    serializer_class = ClientSerializer
    filter_backends = [
        *viewsets.ModelViewSet.filter_backends,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    filterset_fields = ["is_active", "kind"]
    search_fields = ["name", "document", "email"]
    ordering_fields = ["name", "created_at"]


class OrderItemSerializer(serializers.ModelSerializer):
    product_id = serializers.PrimaryKeyRelatedField(
        source="product", queryset=ProductCopy.objects.filter(is_active=True)
    )
    quantity = serializers.IntegerField(min_value=1)

    class Meta:
        model = OrderItem
        fields = ["id", "product_id", "sku", "product_name", "quantity", "unit_price", "total"]
        read_only_fields = ["sku", "product_name", "unit_price", "total"]


class OrderSerializer(serializers.ModelSerializer):
    client_id = serializers.PrimaryKeyRelatedField(
        source="client", queryset=ClientCopy.objects.filter(is_active=True)
    )
    items = OrderItemSerializer(many=True)

    class Meta:
        model = Order
        exclude = ["client"]
        read_only_fields = [
            "number",
            "client_name",
            "shipping_address",
            "status",
            "stock_status",
            "total",
            "cancel_reason",
            "stock_reason",
            "stock_shortages",
            "created_by",
            "version",
        ]

    def validate_items(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not items:
            raise serializers.ValidationError("An order needs at least one item.")
        return items

    def create(self, validated_data: dict[str, Any]) -> Order:
        """DRF's writable nested serializer: the order, then each of its items."""
        items = validated_data.pop("items")
        client = validated_data["client"]
        with transaction.atomic(using="orders"):
            with connections["orders"].cursor() as cursor:
                cursor.execute("SELECT nextval('orders_order_number_seq')")
                (number,) = cursor.fetchone()
            order = Order.objects.create(
                number=number,
                client_name=client.name,
                shipping_address=next(
                    (address for address in client.addresses if address.get("is_default")), None
                ),
                total=sum(
                    (item["product"].price * item["quantity"] for item in items), Decimal("0.00")
                ),
                **validated_data,
            )
            for item in items:
                product = item["product"]
                OrderItem.objects.create(
                    order=order,
                    product=product,
                    sku=product.sku,
                    product_name=product.name,
                    quantity=item["quantity"],
                    unit_price=product.price,
                    total=product.price * item["quantity"],
                )
        return order


class OrderViewSet(viewsets.ModelViewSet):
    queryset = Order.objects.prefetch_related("items").order_by("-number")
    serializer_class = OrderSerializer
    filterset_fields = ["status", "stock_status"]

    def perform_create(self, serializer: OrderSerializer) -> None:
        serializer.save(created_by=str(self.request.user.id))


router = routers.DefaultRouter()
router.register("products", ProductViewSet)
router.register("clients", ClientViewSet)
router.register("orders", OrderViewSet)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("healthz", healthz), path("api/v1/", include(router.urls))]
