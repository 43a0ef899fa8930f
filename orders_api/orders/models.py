"""Orders and their items, and the local copies of clients and products they are built from."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.localization.search import Searchable
from common.versioning import VersionedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class _CopyRel(models.ForeignObjectRel):
    def set_field_name(self) -> None:
        # One column to the copy's primary key: named, as a ForeignKey's relation is, so
        # the admin's autocomplete (which looks it up) works over the relation.
        self.field_name = self.model._meta.pk.name


class CopyReference(models.ForeignObject):
    """The local copy an id column names: a relation without a column of its own and
    without a database constraint (the copy is a cache of another service's row, which
    may arrive after the id does)."""

    rel_class = _CopyRel


class ClientSnapshot(Searchable, models.Model):
    """clients_api's client as its events last described it (read only here)."""

    SEARCHED_FIELDS = ("name", "document")

    id = models.UUIDField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=10)
    name = models.CharField(_("name"), max_length=200)
    document = models.CharField(_("document"), max_length=14)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"))
    addresses = models.JSONField(_("addresses"), default=list)
    version = models.PositiveIntegerField(_("version"))
    synced_at = models.DateTimeField(_("synced at"), auto_now=True)

    class Meta:
        verbose_name = _("client copy")
        verbose_name_plural = _("client copies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def searched_texts(self) -> list[str]:
        """Also the districts and cities of its addresses, as clients_api's search."""
        texts = super().searched_texts()
        for address in self.addresses:
            texts += [address.get("district", ""), address.get("city", "")]
        return texts

    def address(self, address_id: str) -> dict[str, Any] | None:
        return next((a for a in self.addresses if a["id"] == str(address_id)), None)

    def default_address(self) -> dict[str, Any] | None:
        return next((a for a in self.addresses if a.get("is_default")), None)


class ProductSnapshot(Searchable, models.Model):
    """products_api's product as its events last described it (read only here)."""

    SEARCHED_FIELDS = ("name", "sku")

    id = models.UUIDField(primary_key=True)
    sku = models.CharField(_("SKU"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    price = models.DecimalField(_("price"), **MONEY)
    is_active = models.BooleanField(_("active"))
    stock_quantity = models.PositiveIntegerField(_("stock quantity"))
    available = models.PositiveIntegerField(
        _("available"), help_text=_("The stock less what open orders hold: what can be promised.")
    )
    min_quantity = models.PositiveIntegerField(_("minimum quantity"))
    max_quantity = models.PositiveIntegerField(_("maximum quantity"))
    version = models.PositiveIntegerField(_("version"))
    synced_at = models.DateTimeField(_("synced at"), auto_now=True)

    class Meta:
        verbose_name = _("product copy")
        verbose_name_plural = _("product copies")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"


class Order(Searchable, VersionedModel):
    SEARCHED_FIELDS = ("client_name",)

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    class StockStatus(models.TextChoices):
        """products_api's answer about the order's stock: ``pending`` while it is asked
        (an open order's lines to reserve, a finished one's to issue, a cancelled
        one's to release), then what it answered."""

        PENDING = "pending", _("Pending")
        RESERVED = "reserved", _("Reserved")
        REFUSED = "refused", _("Refused")
        ISSUED = "issued", _("Issued")
        RELEASED = "released", _("Released")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.PositiveBigIntegerField(
        _("number"), unique=True, help_text=_("Sequential, for people.")
    )
    client_id = models.UUIDField(_("client id"), db_index=True)
    #: The client's copy, for the admin's autocomplete.
    client = CopyReference(
        ClientSnapshot,
        on_delete=models.DO_NOTHING,
        from_fields=["client_id"],
        to_fields=["id"],
        related_name="+",
        null=True,  # the copy may be missing: joins over it are outer joins
        limit_choices_to={"is_active": True},
        verbose_name=_("client"),
    )
    client_name = models.CharField(
        _("client"), max_length=200, help_text=_("Copied when the order was placed.")
    )
    shipping_address = models.JSONField(
        _("shipping address"),
        null=True,
        blank=True,
        help_text=_("Copied when chosen; later edits don't move it."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    stock_status = models.CharField(
        _("stock status"), max_length=10, choices=StockStatus.choices, default=StockStatus.PENDING
    )
    stock_asked_version = models.PositiveIntegerField(
        _("stock asked at version"),
        default=1,
        editable=False,
        help_text=_("The order's version products_api was last asked about its stock."),
    )
    stock_asked_at = models.DateTimeField(
        _("stock asked at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When products_api was last asked about the order's stock."),
    )
    notes = models.TextField(_("notes"), blank=True)
    total = models.DecimalField(_("total"), **MONEY, default=0)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    stock_reason = models.CharField(
        _("stock refusal reason"),
        max_length=500,
        blank=True,
        help_text=_("Why products_api refused the stock, if it did."),
    )
    stock_shortages = models.JSONField(
        _("stock shortages"),
        default=list,
        blank=True,
        help_text=_("The short items: sku, requested, available."),
    )
    created_by = models.CharField(_("created by"), max_length=64, blank=True)
    #: When the order was finished (null until then): the day its revenue counts on in
    #: the sales panel (orders.selectors).
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_total_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="orders_status_idx"),
            # The sales panel's figures (orders.selectors): orders placed in a period, and
            # the revenue of the orders finished in one.
            models.Index(fields=["created_at"], name="orders_created_idx"),
            models.Index(fields=["status", "finished_at"], name="orders_finished_idx"),
        ]

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

    def short_skus(self) -> str:
        """The SKUs the stock answer found short, comma-separated (a product's id where
        it had no SKU; "?" where an answer of the finish saga before reservations named
        neither)."""
        return ", ".join(
            item.get("sku") or item.get("product_id") or "?" for item in self.stock_shortages
        )

    def stock_reason_text(self) -> str:
        """Why the stock was refused, in the active language. products_api's reason is
        English, for a person reading its event; the shortages it carries say the same."""
        if self.stock_shortages:
            return gettext("Not enough stock for %(skus)s.") % {"skus": self.short_skus()}
        return self.stock_reason

    def ask_for_stock(self) -> None:
        """Marks the order as asking products_api about its stock again (its lines or
        status changed): ``pending`` until an answer to this version or a newer one
        arrives. Call it just before the save that publishes the change."""
        self.stock_status = self.StockStatus.PENDING
        # The version the next save gives the order (a new one keeps its first).
        self.stock_asked_version = self.version if self._state.adding else self.version + 1
        self.stock_asked_at = timezone.now()


class OrderItem(VersionedModel):
    """A line: the product's sku, name and price as they were when the line was added."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order")
    )
    product_id = models.UUIDField(_("product id"))
    #: The product's copy, for the admin's autocomplete.
    product = CopyReference(
        ProductSnapshot,
        on_delete=models.DO_NOTHING,
        from_fields=["product_id"],
        to_fields=["id"],
        related_name="+",
        null=True,  # the copy may be missing: joins over it are outer joins
        limit_choices_to={"is_active": True},
        verbose_name=_("product"),
    )
    sku = models.CharField(_("SKU"), max_length=40)
    product_name = models.CharField(_("product name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
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

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("order")
    )
    from_status = models.CharField(
        _("from"), max_length=10, blank=True, choices=Order.Status.choices
    )
    to_status = models.CharField(_("to"), max_length=10, choices=Order.Status.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    changed_by = models.CharField(_("changed by (id)"), max_length=64, blank=True)
    changed_by_username = models.CharField(_("changed by"), max_length=150, blank=True)
    changed_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"
