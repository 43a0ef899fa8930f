"""Products and their stock ledger. Stock changes only through StockMovement rows."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from common.admin.spreadsheets import ImportJob
from common.localization.search import Searchable
from common.versioning import VersionedModel

#: Active products at or below their minimum: the stock panel's (products.selectors),
#: which the partial index products_low_stock_idx holds.
ACTIVE_BELOW_MINIMUM = Q(is_active=True, stock_quantity__lte=F("min_quantity"))


class Product(Searchable, VersionedModel):
    SEARCHED_FIELDS = ("name", "sku")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sku = models.CharField(
        _("SKU"), max_length=40, unique=True, help_text=_("Unique, stored upper case.")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, help_text=_("BRL, 2 decimals.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    stock_quantity = models.PositiveIntegerField(
        _("stock quantity"),
        default=0,
        editable=False,
        help_text=_("Changes only through stock movements."),
    )
    min_quantity = models.PositiveIntegerField(
        _("minimum quantity"), default=0, help_text=_("Low stock at or below this.")
    )
    max_quantity = models.PositiveIntegerField(
        _("maximum quantity"), help_text=_("Stock can never exceed this.")
    )
    reserved = models.PositiveIntegerField(
        _("reserved"),
        default=0,
        editable=False,
        help_text=_("Held by open orders; changes only through reservations."),
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="products_price_not_negative",
                violation_error_message=_("The price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(min_quantity__lte=F("max_quantity")),
                name="products_min_not_above_max",
                violation_error_message=_("The minimum quantity cannot be above the maximum."),
            ),
            models.CheckConstraint(
                condition=Q(stock_quantity__gte=0) & Q(stock_quantity__lte=F("max_quantity")),
                name="products_stock_within_bounds",
                violation_error_message=_("The stock must stay between 0 and the maximum."),
            ),
            models.CheckConstraint(
                condition=Q(sku=models.functions.Upper("sku")), name="products_sku_upper_case"
            ),
            # Nothing is promised that is not on the shelf: available never goes below 0.
            models.CheckConstraint(
                condition=Q(reserved__lte=F("stock_quantity")),
                name="products_reserved_within_stock",
                violation_error_message=_("The stock cannot go below what open orders hold."),
            ),
        ]
        indexes = [
            # The few rows the stock panel lists below their minimum, so that neither
            # its count nor its list reads the others.
            models.Index(
                fields=["name"], condition=ACTIVE_BELOW_MINIMUM, name="products_low_stock_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"

    @property
    def low_stock(self) -> bool:
        return self.stock_quantity <= self.min_quantity

    @property
    def available(self) -> int:
        """What can still be promised: the stock less what open orders hold (never < 0)."""
        return max(0, self.stock_quantity - self.reserved)

    @property
    def suggested_quantity(self) -> int:
        """What to buy to fill the shelf up to the maximum again: max_quantity - available
        (never < 0). Counts what open orders hold as already gone."""
        return max(0, self.max_quantity - self.available)


class ReorderSuggestion(Product):
    """The products admin's "Purchase suggestion" page: the products as a buyer reads them
    (``products.selectors.reorder_list``). A proxy, so the page has its own place in the
    admin's index; it has no table and is never written."""

    class Meta:
        proxy = True
        verbose_name = _("product to buy")
        verbose_name_plural = _("purchase suggestion")


class StockMovement(models.Model):
    """One line of the ledger: what changed the stock, by how much, who and why.

    ``delta`` is signed; the deltas of a product add up to its stock, and its
    ``reserved_delta`` (the change of what open orders hold: + on reserve, - on
    release and on issue) add up to its ``reserved``. A person's
    movement keeps the ``reason`` they typed; one the system writes has a
    ``reason_code`` with ``reason_params`` instead (and an empty ``reason``), so
    ``reason_text`` reads in each reader's language, whenever the row was written.
    """

    class Kind(models.TextChoices):
        IN = "in", _("In (received)")
        OUT = "out", _("Out (issued)")
        ADJUSTMENT = "adjustment", _("Adjustment (counted quantity)")
        RESERVE = "reserve", _("Reserved (held by an open order)")
        RELEASE = "release", _("Released (no longer held)")

    #: The kinds a person moves stock with; reserve and release are written by the
    #: reservations of orders only.
    PERSON_KINDS = (Kind.IN, Kind.OUT, Kind.ADJUSTMENT)

    class ReasonCode(models.TextChoices):
        INITIAL_STOCK = "initial_stock", _("Initial stock")
        ORDER_FINISHED = "order_finished", _("Order finished")
        ORDER_RESERVED = "order_reserved", _("Order reserved")
        ORDER_RELEASED = "order_released", _("Order released")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="movements", verbose_name=_("product")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    quantity = models.PositiveIntegerField(
        _("quantity"), help_text=_("Units in or out; for an adjustment, the counted quantity.")
    )
    delta = models.IntegerField(
        pgettext_lazy("stock", "change"), help_text=_("Signed change of the stock.")
    )
    reserved_delta = models.IntegerField(
        _("reserved change"),
        default=0,
        help_text=_("Signed change of what open orders hold."),
    )
    quantity_before = models.PositiveIntegerField(_("quantity before"))
    quantity_after = models.PositiveIntegerField(_("quantity after"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reason_code = models.CharField(
        _("reason code"),
        max_length=40,
        blank=True,
        choices=ReasonCode.choices,
        help_text=_("Set when the system wrote the movement."),
    )
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("e.g. an invoice or order number.")
    )
    created_by = models.CharField(
        _("created by"), max_length=64, blank=True, help_text=_("User id.")
    )
    created_by_username = models.CharField(_("by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
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
            # A reservation holds or lets go; it never moves the stock itself.
            models.CheckConstraint(
                condition=~Q(kind="reserve") | (Q(delta=0) & Q(reserved_delta__gt=0)),
                name="products_movement_reserve_holds",
            ),
            models.CheckConstraint(
                condition=~Q(kind="release") | (Q(delta=0) & Q(reserved_delta__lt=0)),
                name="products_movement_release_lets_go",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="products_movement_recent_idx")
        ]

    def __str__(self) -> str:
        # Titles the admin's pages and messages: the product by sku, not by id.
        return gettext("{kind}: {quantity} x {sku}").format(
            kind=self.get_kind_display(),
            quantity=self.quantity,
            sku=self.product.sku,
        )

    @property
    def reason_text(self) -> str:
        """Why the stock moved, in the active language (a person's reason as typed)."""
        if not self.reason_code:
            return self.reason
        return str(SYSTEM_REASONS[self.reason_code]) % self.reason_params


#: What the system's reason codes read as; ``reason_params`` fills the placeholders.
SYSTEM_REASONS = {
    StockMovement.ReasonCode.INITIAL_STOCK: _("Initial stock"),
    StockMovement.ReasonCode.ORDER_FINISHED: _("Order #%(order_number)s finished"),
    StockMovement.ReasonCode.ORDER_RESERVED: _("Order #%(order_number)s reserved"),
    StockMovement.ReasonCode.ORDER_RELEASED: _("Order #%(order_number)s released"),
}


class StockIssue(VersionedModel):
    """products_api's answer to an order finished before reservations (issue #37): its
    stock issued, or refused. Kept for those orders' history and for answering them
    again; an order finished since is answered by its ``StockReservation``.
    """

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, help_text=_("The order's id."))
    order_number = models.PositiveBigIntegerField(_("order number"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    lines = models.JSONField(
        _("lines"), default=list, help_text=_("What left the stock, per product.")
    )
    shortages = models.JSONField(
        _("shortages"), default=list, help_text=_("What was missing, per product.")
    )

    class Meta:
        verbose_name = _("stock issue")
        verbose_name_plural = _("stock issues")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return gettext("order #{number}: {status}").format(
            number=self.order_number, status=self.get_status_display()
        )


class StockReservation(VersionedModel):
    """What products_api holds for one order (keyed by the order's id), and its answer.

    ``lines`` are what the order holds (``reserved``), what left the stock for it
    (``issued``) or nothing (``refused``: all or nothing per order, so a refused order
    holds nothing; ``released``: cancelled). ``order_version`` is the newest version of
    the order's events applied here: an older one is stale and dropped.
    """

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        REFUSED = "refused", _("Refused")
        RELEASED = "released", _("Released")
        ISSUED = "issued", _("Issued")

    #: Saved alone, the newest order version seen is bookkeeping: no answer is published.
    UNVERSIONED_FIELDS = frozenset({"order_version"})
    #: The products this change of the reservation moved, as saved; set by
    #: ``services.stock_reservations_sync`` before it saves, and carried by the answer
    #: in their stead (their saves publish no ``products.product.updated``).
    moved_products: tuple[Product, ...] = ()

    id = models.UUIDField(primary_key=True, help_text=_("The order's id."))
    order_number = models.PositiveBigIntegerField(_("order number"))
    order_version = models.PositiveIntegerField(_("order version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    lines = models.JSONField(
        _("lines"), default=list, help_text=_("What the order holds or took, per product.")
    )
    shortages = models.JSONField(
        _("shortages"), default=list, help_text=_("What was missing, per product.")
    )

    class Meta:
        verbose_name = _("stock reservation")
        verbose_name_plural = _("stock reservations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return gettext("order #{number}: {status}").format(
            number=self.order_number, status=self.get_status_display()
        )

    def held(self) -> dict[str, int]:
        """The quantities the order holds now, by product id (text)."""
        if self.status != self.Status.RESERVED:
            return {}
        return {line["product_id"]: line["quantity"] for line in self.lines}


class ProductImport(ImportJob):
    """A spreadsheet of products being previewed or imported (common.admin.spreadsheets)."""

    class Meta(ImportJob.Meta):
        verbose_name = _("product import")
        verbose_name_plural = _("product imports")
