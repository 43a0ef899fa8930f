"""The output shapes orders_api's views share (docs/api.md)."""

from __future__ import annotations

from rest_framework import serializers

from common.api.fields import UTCDateTimeField

MONEY = {"max_digits": 14, "decimal_places": 2}


class OrderItemOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    product_id = serializers.UUIDField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    version = serializers.IntegerField()


# An order with its items: render one whose items are prefetched (selectors' order_get,
# or what a service returns). A comment: the schema would show a docstring.
class OrderOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.IntegerField()
    client_id = serializers.UUIDField()
    client_name = serializers.CharField()
    shipping_address = serializers.JSONField(allow_null=True)
    status = serializers.CharField()
    stock_status = serializers.CharField(
        help_text=(
            "pending while products_api is asked (to reserve an open order's lines, issue a "
            "finished one's, release a cancelled one's), then reserved or refused (with "
            "stock_shortages), issued or released"
        )
    )
    stock_reason = serializers.CharField(
        source="stock_reason_text",
        help_text="Why the stock was refused (the short SKUs), in the request's language",
    )
    stock_shortages = serializers.JSONField()
    notes = serializers.CharField()
    cancel_reason = serializers.CharField()
    items = OrderItemOutputSerializer(many=True, source="items.all")
    total = serializers.DecimalField(**MONEY)
    version = serializers.IntegerField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


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
    available = serializers.IntegerField(
        help_text="The stock less what open orders hold: what can still be promised."
    )
    min_quantity = serializers.IntegerField()
    max_quantity = serializers.IntegerField()
    version = serializers.IntegerField()
    synced_at = UTCDateTimeField()
