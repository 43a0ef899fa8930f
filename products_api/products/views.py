"""HTTP layer of products_api: parse input, call a service or selector, render output."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from common import projection
from common.actors import Actor, actor_of
from common.auth import MethodPermission, model_permissions
from common.fields import LocalizedDecimalField
from common.filters import BooleanFilter, FilterSet
from common.idempotency import idempotent_create
from common.pagination import paginated
from common.search import SEARCH
from common.serializers import RequestBodySerializer
from common.versioning import with_etag
from common.views import DestroyMixin, RetrieveMixin, UpdateMixin, render
from products import selectors, services
from products.models import Product, StockMovement
from products.serializers import MONEY, ProductOutputSerializer, StockMovementOutputSerializer


class ProductFilter(FilterSet):
    low_stock = BooleanFilter(method="filter_low_stock", help_text="stock_quantity <= min_quantity")
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte")

    class Meta:
        model = Product
        fields = ["is_active", "low_stock", "min_price", "max_price"]

    def filter_low_stock(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        low = {"stock_quantity__lte": F("min_quantity")}
        return queryset.filter(**low) if value else queryset.exclude(**low)


class ReorderFilter(ProductFilter):
    """The products list's filters but ``is_active``: every product to buy is active."""

    class Meta(ProductFilter.Meta):
        fields = ["low_stock", "min_price", "max_price"]


class ProductInputSerializer(RequestBodySerializer):
    labels_from = Product
    sku = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    price = LocalizedDecimalField(**MONEY, min_value=0)
    # initial: the browsable API's checkbox starts ticked, as a JSON body without it does.
    is_active = serializers.BooleanField(required=False, initial=True)
    min_quantity = serializers.IntegerField(min_value=0, required=False)
    max_quantity = serializers.IntegerField(min_value=0, max_value=2_000_000_000)


class ProductCreateSerializer(ProductInputSerializer):
    stock_quantity = serializers.IntegerField(
        min_value=0, required=False, help_text="Initial stock, recorded as the first movement."
    )


class ProductListView(GenericAPIView):
    name = _("Products")  # the browsable API's title
    permission_classes = [model_permissions("products.product", methods=("GET", "POST"))]
    filterset_class = ProductFilter
    search_fields = [SEARCH]  # name and SKU, accent- and case-insensitive
    ordering_fields = ["name", "sku", "price", "stock_quantity", "created_at", "updated_at"]
    ordering = ["name"]
    serializer_class = ProductCreateSerializer  # the browsable API's form

    def get_queryset(self) -> Any:
        return selectors.product_list()

    @extend_schema(responses={200: ProductOutputSerializer(many=True)}, tags=["products"])
    def get(self, request: Request) -> Response:
        return paginated(self, ProductOutputSerializer)

    @idempotent_create
    @extend_schema(
        request=ProductCreateSerializer, responses={201: ProductOutputSerializer}, tags=["products"]
    )
    def post(self, request: Request) -> Response:
        serializer = ProductCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(actor=actor_of(request.user), **serializer.validated_data)
        response = render(ProductOutputSerializer, product, status.HTTP_201_CREATED)
        response["Location"] = reverse("product-detail", kwargs={"pk": product.pk})
        return response


class ReorderListView(GenericAPIView):
    """What to buy: the active products whose available quantity (stock less what open
    orders hold) is at or below their minimum, each with ``suggested_quantity`` =
    max(0, max_quantity - available), largest first."""

    name = _("Purchase suggestion")  # the browsable API's title
    permission_classes = [MethodPermission({"GET": "products.view_product"})]
    filterset_class = ReorderFilter
    search_fields = [SEARCH]  # name and SKU, accent- and case-insensitive
    ordering_fields = [
        "suggested_quantity",
        "available",
        "stock_quantity",
        "reserved",
        "name",
        "sku",
        "price",
    ]
    ordering = list(selectors.REORDER_ORDERING)

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        sku = serializers.CharField()
        name = serializers.CharField()
        stock_quantity = serializers.IntegerField()
        reserved = serializers.IntegerField(help_text="Held by open orders.")
        available = serializers.IntegerField(help_text="stock_quantity - reserved, never < 0")
        min_quantity = serializers.IntegerField()
        max_quantity = serializers.IntegerField()
        suggested_quantity = serializers.IntegerField(
            help_text="What to buy: max(0, max_quantity - available)"
        )
        price = serializers.DecimalField(**MONEY)

    def get_queryset(self) -> Any:
        return selectors.reorder_list()

    @extend_schema(responses={200: OutputSerializer(many=True)}, tags=["products"])
    def get(self, request: Request) -> Response:
        return paginated(self, self.OutputSerializer)


@extend_schema(tags=["products"])
class ProductDetailView(RetrieveMixin, UpdateMixin, DestroyMixin):
    name = _("Product")  # the browsable API's title
    permission_classes = [model_permissions("products.product")]
    serializer_class = ProductInputSerializer
    output_serializer_class = ProductOutputSerializer

    def fetch(self, *, pk: uuid.UUID) -> Product:
        return selectors.product_get(product_id=pk)

    def update(
        self, *, actor: Actor, expected_version: int | None, data: dict[str, Any], pk: uuid.UUID
    ) -> Product:
        return services.product_update(
            actor=actor, product_id=pk, expected_version=expected_version, **data
        )

    def destroy(self, *, actor: Actor, expected_version: int | None, pk: uuid.UUID) -> None:
        services.product_deactivate(actor=actor, product_id=pk, expected_version=expected_version)


class StockMovementListView(GenericAPIView):
    """The stock ledger of a product; POST moves stock (a separate right from editing)."""

    name = _("Stock movements")  # the browsable API's title

    permission_classes = [
        MethodPermission(
            {
                "GET": "products.view_stockmovement",
                "POST": "products.add_stockmovement",
            }
        )
    ]
    filterset_fields = ["kind"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    class InputSerializer(RequestBodySerializer):
        labels_from = StockMovement
        kind = serializers.ChoiceField(choices=StockMovement.Kind.choices)
        quantity = serializers.IntegerField(
            min_value=0,
            max_value=2_000_000_000,
            help_text="Units in or out (at least 1); for an adjustment, the counted quantity.",
        )
        reason = serializers.CharField(max_length=200)
        reference = serializers.CharField(max_length=100, required=False, allow_blank=True)

    class CreatedSerializer(StockMovementOutputSerializer):
        stock_quantity = serializers.IntegerField(help_text="The product's stock after it.")
        product_version = serializers.IntegerField()

    serializer_class = InputSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no product
            return StockMovement.objects.none()
        return selectors.movement_list(product_id=self.kwargs["pk"])

    @extend_schema(responses={200: StockMovementOutputSerializer(many=True)}, tags=["stock"])
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        return paginated(self, StockMovementOutputSerializer)

    @idempotent_create
    @extend_schema(request=InputSerializer, responses={201: CreatedSerializer}, tags=["stock"])
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movement = services.stock_movement_create(
            actor=actor_of(request.user), product_id=pk, **serializer.validated_data
        )
        movement.stock_quantity = movement.product.stock_quantity
        movement.product_version = movement.product.version
        response = Response(
            projection.render(self.CreatedSerializer, movement), status=status.HTTP_201_CREATED
        )
        return with_etag(response, movement.product.version)
