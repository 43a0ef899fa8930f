"""Products and their stock ledger. Stock changes only through StockMovement rows."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q

from common.versioning import VersionedModel


class Product(VersionedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sku = models.CharField(max_length=40, unique=True, help_text="Unique, stored upper case.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, help_text="BRL, 2 decimals.")
    is_active = models.BooleanField(default=True)
    stock_quantity = models.PositiveIntegerField(
        default=0, editable=False, help_text="Changes only through stock movements."
    )
    min_quantity = models.PositiveIntegerField(default=0, help_text="Low stock at or below this.")
    max_quantity = models.PositiveIntegerField(help_text="Stock can never exceed this.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="products_price_not_negative",
                violation_error_message="The price cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(min_quantity__lte=F("max_quantity")),
                name="products_min_not_above_max",
                violation_error_message="The minimum quantity cannot be above the maximum.",
            ),
            models.CheckConstraint(
                condition=Q(stock_quantity__gte=0) & Q(stock_quantity__lte=F("max_quantity")),
                name="products_stock_within_bounds",
                violation_error_message="The stock must stay between 0 and the maximum.",
            ),
            models.CheckConstraint(
                condition=Q(sku=models.functions.Upper("sku")), name="products_sku_upper_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"

    @property
    def low_stock(self) -> bool:
        return self.stock_quantity <= self.min_quantity


class StockMovement(models.Model):
    """One line of the ledger: what changed the stock, by how much, who and why.

    ``delta`` is signed; the deltas of a product add up to its stock.
    """

    class Kind(models.TextChoices):
        IN = "in", "In (received)"
        OUT = "out", "Out (issued)"
        ADJUSTMENT = "adjustment", "Adjustment (counted quantity)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    quantity = models.PositiveIntegerField(
        help_text="Units in or out; for an adjustment, the counted quantity."
    )
    delta = models.IntegerField(help_text="Signed change of the stock.")
    quantity_before = models.PositiveIntegerField()
    quantity_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    reference = models.CharField(
        max_length=100, blank=True, help_text="e.g. an invoice or order number."
    )
    created_by = models.CharField(max_length=64, blank=True, help_text="User id.")
    created_by_username = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_after=F("quantity_before") + F("delta")),
                name="products_movement_adds_up",
            ),
            models.CheckConstraint(
                condition=~Q(kind="in") | Q(delta__gt=0), name="products_movement_in_adds"
            ),
            models.CheckConstraint(
                condition=~Q(kind="out") | Q(delta__lt=0), name="products_movement_out_removes"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="products_movement_recent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of {self.product_id}"


class StockIssue(VersionedModel):
    """products_api's answer to a finished order: its stock issued, or refused.

    Keyed by the order's id, so an order is answered once however often its
    ``orders.order.finished`` event arrives.
    """

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, help_text="The order's id.")
    order_number = models.PositiveBigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=500, blank=True)
    lines = models.JSONField(default=list, help_text="What left the stock, per product.")
    shortages = models.JSONField(default=list, help_text="What was missing, per product.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"order #{self.order_number}: {self.status}"
