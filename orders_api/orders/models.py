"""Orders and their items, and the local copies of clients and products they are built from."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q

from common.versioning import VersionedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class ClientSnapshot(models.Model):
    """clients_api's client as its events last described it (read only here)."""

    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=10)
    name = models.CharField(max_length=200)
    document = models.CharField(max_length=14)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField()
    addresses = models.JSONField(default=list)
    version = models.PositiveIntegerField()
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def address(self, address_id: str) -> dict[str, Any] | None:
        return next((a for a in self.addresses if a["id"] == str(address_id)), None)

    def default_address(self) -> dict[str, Any] | None:
        return next((a for a in self.addresses if a.get("is_default")), None)


class ProductSnapshot(models.Model):
    """products_api's product as its events last described it (read only here)."""

    id = models.UUIDField(primary_key=True)
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    price = models.DecimalField(**MONEY)
    is_active = models.BooleanField()
    stock_quantity = models.PositiveIntegerField()
    min_quantity = models.PositiveIntegerField()
    max_quantity = models.PositiveIntegerField()
    version = models.PositiveIntegerField()
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"


class OrderNumber(models.Model):
    """The last order number handed out; locked while an order is created."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.last)


class Order(VersionedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    class StockStatus(models.TextChoices):
        NONE = "none", "None (not finished)"
        PENDING = "pending", "Pending"
        ISSUED = "issued", "Issued"
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.PositiveBigIntegerField(unique=True, help_text="Sequential, for people.")
    client_id = models.UUIDField(db_index=True)
    client_name = models.CharField(max_length=200, help_text="Copied when the order was placed.")
    shipping_address = models.JSONField(
        null=True, blank=True, help_text="Copied when chosen; later edits don't move it."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    stock_status = models.CharField(
        max_length=10, choices=StockStatus.choices, default=StockStatus.NONE
    )
    notes = models.TextField(blank=True)
    total = models.DecimalField(**MONEY, default=0)
    cancel_reason = models.CharField(max_length=200, blank=True)
    stock_reason = models.CharField(
        max_length=500, blank=True, help_text="Why products_api rejected the stock, if it did."
    )
    stock_shortages = models.JSONField(
        default=list, blank=True, help_text="The short items: sku, requested, available."
    )
    created_by = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_total_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="orders_status_idx")]

    def __str__(self) -> str:
        return f"#{self.number}"

    #: The status when the row was read; tells a save that finishes or cancels the order
    #: (published as orders.order.finished / .cancelled) from one that only changes it.
    loaded_status: str | None = None

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Order:
        order = super().from_db(db, field_names, values)
        order.loaded_status = order.status
        return order

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self.loaded_status = self.status


class OrderItem(VersionedModel):
    """A line: the product's sku, name and price as they were when the line was added."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product_id = models.UUIDField()
    sku = models.CharField(max_length=40)
    product_name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orders_item_quantity_min_1"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="orders_item_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OrderStatusChange(models.Model):
    """Who moved an order to which status, when, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    reason = models.CharField(max_length=200, blank=True)
    changed_by = models.CharField(max_length=64, blank=True)
    changed_by_username = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
