"""orders_api's admin: orders with their items and history, and the local copies; all read
only, since orders change only through the API's rules."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from orders.models import ClientSnapshot, Order, OrderItem, OrderStatusChange, ProductSnapshot


class ShownWithOrders:
    """Items, status history and the copies have no codes of their own: whoever may see
    orders (``orders.view_order``) sees them, as in the API."""

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.has_perm("orders.view_order")


class ReadOnlyInline(ShownWithOrders, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = ("sku", "product_name", "quantity", "unit_price", "total")
    readonly_fields = fields


class StatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ("changed_at", "from_status", "to_status", "reason", "changed_by_username")
    readonly_fields = fields
    verbose_name_plural = "Status history"


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    inlines = [OrderItemInline, StatusChangeInline]
    list_display = ("number", "client_name", "status", "stock_status", "total", "created_at")
    list_filter = ("status", "stock_status", "created_at")
    search_fields = ("=number", "client_name")
    date_hierarchy = "created_at"
    ordering = ("-number",)


@admin.register(ClientSnapshot)
class ClientSnapshotAdmin(ShownWithOrders, ReadOnlyAdmin):
    list_display = ("name", "document", "is_active", "version", "synced_at")
    list_filter = ("is_active", "kind")
    search_fields = ("name", "document")


@admin.register(ProductSnapshot)
class ProductSnapshotAdmin(ShownWithOrders, ReadOnlyAdmin):
    list_display = ("sku", "name", "price", "stock_quantity", "is_active", "version", "synced_at")
    list_filter = ("is_active",)
    search_fields = ("sku", "name")
