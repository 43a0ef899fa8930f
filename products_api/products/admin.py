"""products_api's admin: products with their recent movements, written through
products.services as the API writes them; stock moves only through movements, and
"delete" deactivates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import F
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin.model_admins import ServiceWritesAdmin
from common.auth.actors import actor_of
from common.localization.formats import brl
from common.localization.search import SEARCH
from products import services
from products.models import Product, StockMovement

MOVEMENT_COLUMNS = (
    "created_at",
    "kind",
    "quantity",
    "delta",
    "quantity_after",
    "reason_text",
    "reference",
    "created_by_username",
)
#: A movement's page: the reason as its reader reads it, not the columns it is stored in.
MOVEMENT_FIELDS = [
    "reason_text" if field.name == "reason" else field.name
    for field in StockMovement._meta.fields
    if field.name not in {"reason_code", "reason_params"}
]


class ReasonInReaderLanguage:
    @admin.display(description=_("reason"))
    def reason_text(self, movement: StockMovement) -> str:
        return movement.reason_text


class LowStockFilter(admin.SimpleListFilter):
    title = _("low stock")
    parameter_name = "low_stock"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("Low (at or below minimum)")), ("no", _("Above minimum"))]

    def queryset(self, request: Any, queryset: Any) -> Any:
        low = {"stock_quantity__lte": F("min_quantity")}
        if self.value() == "yes":
            return queryset.filter(**low)
        if self.value() == "no":
            return queryset.exclude(**low)
        return queryset


class RecentMovementsFormSet(forms.BaseInlineFormSet):
    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-created_at")[:20]


class RecentMovementInline(ReasonInReaderLanguage, admin.TabularInline):
    """The last 20 ledger lines, read-only; stock moves through "Add stock movement"."""

    model = StockMovement
    formset = RecentMovementsFormSet
    fields = MOVEMENT_COLUMNS
    readonly_fields = MOVEMENT_COLUMNS
    extra = 0
    can_delete = False
    verbose_name_plural = _("Recent stock movements (newest first)")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "description",
            "price",
            "is_active",
            "min_quantity",
            "max_quantity",
        ]

    def clean_sku(self) -> str:
        return services.normalize_sku(self.cleaned_data["sku"])


class ProductAddForm(ProductForm):
    """A new product with its initial stock in one step, as the API's create takes it."""

    # Not stock_quantity: the admin refuses a form field named after a non-editable one.
    initial_stock = forms.IntegerField(
        label=_("Initial stock"),
        min_value=0,
        initial=0,
        required=False,
        help_text=_("Recorded as the product's first stock movement."),
    )


@admin.register(Product)
class ProductAdmin(ServiceWritesAdmin):
    form = ProductForm
    inlines = [RecentMovementInline]
    list_display = (
        "sku",
        "name",
        "price_brl",
        "stock_quantity",
        "min_quantity",
        "max_quantity",
        "is_low",
        "is_active",
    )
    list_filter = ("is_active", LowStockFilter)
    search_fields = (SEARCH,)  # SKU and name, accent- and case-insensitive
    readonly_fields = ("stock_quantity", "version", "created_at", "updated_at")
    ordering = ("name",)
    actions = ["deactivate_selected"]

    @admin.display(boolean=True, description=_("low stock"))
    def is_low(self, product: Product) -> bool:
        return product.low_stock

    @admin.display(description=_("price"), ordering="price")
    def price_brl(self, product: Product) -> str:
        return brl(product.price)

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ProductAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        if obj is None:  # the add form types the initial stock instead
            return [field for field in self.readonly_fields if field != "stock_quantity"]
        return self.readonly_fields

    # Deleting a product deactivates it, as DELETE does in the API (it stays for history).
    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_deactivate_permission(self, request: Any) -> bool:
        return request.user.has_perm("products.delete_product")

    @admin.action(description=_("Deactivate the selected products"), permissions=["deactivate"])
    def deactivate_selected(self, request: Any, queryset: Any) -> None:
        actor = actor_of(request.user)
        for product in queryset:
            services.product_deactivate(actor=actor, product_id=product.pk, expected_version=None)
        message = gettext("%(count)d product(s) deactivated; they stay for history.")
        self.message_user(request, message % {"count": len(queryset)}, messages.SUCCESS)

    def save_model(self, request: Any, obj: Product, form: Any, change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in ProductForm.Meta.fields}
        if change:
            changed = {field: values[field] for field in form.changed_data if field in values}
            if not changed:
                return
            product = services.product_update(
                actor=actor_of(request.user), product_id=obj.pk, expected_version=None, **changed
            )
        else:
            product = services.product_create(
                actor=actor_of(request.user),
                stock_quantity=form.cleaned_data["initial_stock"] or 0,
                **values,
            )
        self.show_written(obj, product)


@admin.register(StockMovement)
class StockMovementAdmin(ReasonInReaderLanguage, ServiceWritesAdmin):
    """Moves stock with the API's service: same locks, same bounds, same ledger and event."""

    feminine_name = True  # "movimentação de estoque"
    fields = ["product", "kind", "quantity", "reason", "reference"]
    autocomplete_fields = ["product"]
    list_display = (
        "created_at",
        "product",
        "kind",
        "quantity",
        "delta",
        "quantity_after",
        "reason_text",
        "reference",
        "created_by_username",
    )
    list_filter = ("kind",)
    search_fields = (f"product__{SEARCH}", "reference", "reason")
    list_select_related = ("product",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        return MOVEMENT_FIELDS if obj else []

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: Any, obj: Any = None) -> Any:
        return MOVEMENT_FIELDS if obj else self.fields

    def save_model(self, request: Any, obj: StockMovement, form: Any, change: bool) -> None:
        movement = services.stock_movement_create(
            actor=actor_of(request.user),
            product_id=obj.product_id,
            kind=obj.kind,
            quantity=obj.quantity,
            reason=obj.reason,
            reference=obj.reference,
        )
        self.show_written(obj, movement)
