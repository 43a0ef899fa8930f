"""The services' tables as a typical project would model them (unmanaged: the services'
migrations own them), and the router that sends each model to its service's database."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models


class ServiceRouter:
    """Each table to the database of the service that owns it: ``orders_order`` to "orders"."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        prefix = model._meta.db_table.split("_", 1)[0]
        return prefix if prefix in ("clients", "products", "orders") else None

    db_for_write = db_for_read


class Timestamped(models.Model):
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Client(Timestamped):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    kind = models.CharField(max_length=10)
    name = models.CharField(max_length=200)
    document = models.CharField(unique=True, max_length=14)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        managed = False
        db_table = "clients_client"

    def __str__(self) -> str:
        return self.name


class Address(Timestamped):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    client = models.ForeignKey(Client, models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=50, blank=True)
    street = models.CharField(max_length=200)
    number = models.CharField(max_length=20)
    complement = models.CharField(max_length=100, blank=True)
    district = models.CharField(max_length=100)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=8)
    country = models.CharField(max_length=2)
    is_default = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = "clients_address"
        ordering = ["-is_default", "created_at"]

    def __str__(self) -> str:
        return f"{self.street}, {self.number}"


class Product(Timestamped):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    sku = models.CharField(unique=True, max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    is_active = models.BooleanField(default=True)
    stock_quantity = models.PositiveIntegerField(default=0)
    min_quantity = models.PositiveIntegerField(default=0)
    max_quantity = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        managed = False
        db_table = "products_product"

    def __str__(self) -> str:
        return self.name


class StockMovement(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    product = models.ForeignKey(Product, models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=[("in", "in"), ("out", "out")])
    quantity = models.PositiveIntegerField()
    delta = models.IntegerField()
    reserved_delta = models.IntegerField(default=0, editable=False)
    quantity_before = models.PositiveIntegerField()
    quantity_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    reason_code = models.CharField(max_length=40, blank=True, editable=False)
    reason_params = models.JSONField(default=dict, blank=True, editable=False)
    reference = models.CharField(max_length=100, blank=True)
    created_by = models.CharField(max_length=64, blank=True)
    created_by_username = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        managed = False
        db_table = "products_stockmovement"

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity}"


class ClientCopy(models.Model):
    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=10)
    name = models.CharField(max_length=200)
    document = models.CharField(max_length=14)
    email = models.CharField(max_length=254)
    phone = models.CharField(max_length=20)
    is_active = models.BooleanField()
    addresses = models.JSONField(default=list)
    version = models.PositiveIntegerField()
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = "orders_clientsnapshot"

    def __str__(self) -> str:
        return self.name


class ProductCopy(models.Model):
    id = models.UUIDField(primary_key=True)
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=14, decimal_places=2)
    is_active = models.BooleanField()
    stock_quantity = models.PositiveIntegerField()
    min_quantity = models.PositiveIntegerField()
    max_quantity = models.PositiveIntegerField()
    available = models.PositiveIntegerField()
    version = models.PositiveIntegerField()
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = "orders_productsnapshot"

    def __str__(self) -> str:
        return self.name


class Order(Timestamped):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    number = models.PositiveBigIntegerField(unique=True)
    client = models.ForeignKey(ClientCopy, models.DO_NOTHING, db_constraint=False)
    client_name = models.CharField(max_length=200)
    shipping_address = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, default="open")
    stock_status = models.CharField(max_length=10, default="pending")
    stock_asked_version = models.PositiveIntegerField(default=1)
    notes = models.TextField(blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    cancel_reason = models.CharField(max_length=200, blank=True)
    stock_reason = models.CharField(max_length=500, blank=True)
    stock_shortages = models.JSONField(default=list, blank=True)
    created_by = models.CharField(max_length=64, blank=True)
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        managed = False
        db_table = "orders_order"

    def __str__(self) -> str:
        return f"#{self.number}"


class OrderItem(Timestamped):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    order = models.ForeignKey(Order, models.CASCADE, related_name="items")
    product = models.ForeignKey(ProductCopy, models.DO_NOTHING, db_constraint=False)
    sku = models.CharField(max_length=40)
    product_name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        managed = False
        db_table = "orders_orderitem"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.product_name
