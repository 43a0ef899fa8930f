"""The output shapes products_api's views share (docs/api.md)."""

from __future__ import annotations

from rest_framework import serializers

from common.api.fields import UTCDateTimeField

MONEY = {"max_digits": 12, "decimal_places": 2}


class ProductOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    sku = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    price = serializers.DecimalField(**MONEY)
    is_active = serializers.BooleanField()
    stock_quantity = serializers.IntegerField()
    min_quantity = serializers.IntegerField()
    max_quantity = serializers.IntegerField()
    low_stock = serializers.BooleanField(help_text="stock_quantity <= min_quantity")
    reserved = serializers.IntegerField(help_text="Held by open orders.")
    available = serializers.IntegerField(
        help_text="stock_quantity - reserved (never below 0): what can still be promised."
    )
    version = serializers.IntegerField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


class StockMovementOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    product_id = serializers.UUIDField()
    kind = serializers.CharField()
    quantity = serializers.IntegerField()
    delta = serializers.IntegerField()
    reserved_delta = serializers.IntegerField(
        help_text="Signed change of what open orders hold (reserve, release, issue)."
    )
    quantity_before = serializers.IntegerField()
    quantity_after = serializers.IntegerField()
    reason = serializers.CharField(
        source="reason_text", help_text="In the reader's language when the system wrote it."
    )
    reason_code = serializers.CharField(
        help_text=(
            "initial_stock, order_reserved, order_released or order_finished when the "
            "system wrote the movement; else empty."
        )
    )
    reference = serializers.CharField()
    created_by = serializers.CharField()
    created_by_username = serializers.CharField()
    created_at = UTCDateTimeField()
