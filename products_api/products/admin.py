"""products_api's admin: products with their recent movements; stock moves only through
the same service as the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import F

from common.errors import DomainError
from products import services
from products.models import Product, StockMovement

MOVEMENT_COLUMNS = (
    "created_at",
    "kind",
    "quantity",
    "delta",
    "quantity_after",
    "reason",
    "reference",
    "created_by_username",
)


class LowStockFilter(admin.SimpleListFilter):
    title = "low stock"
    parameter_name = "low_stock"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Low (at or below minimum)"), ("no", "Above minimum")]

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


class RecentMovementInline(admin.TabularInline):
    """The last 20 ledger lines, read-only; stock moves through "Add stock movement"."""

    model = StockMovement
    formset = RecentMovementsFormSet
    fields = MOVEMENT_COLUMNS
    readonly_fields = MOVEMENT_COLUMNS
    extra = 0
    can_delete = False
    verbose_name_plural = "Recent stock movements (newest first)"

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


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    inlines = [RecentMovementInline]
    list_display = (
        "sku",
        "name",
        "price",
        "stock_quantity",
        "min_quantity",
        "max_quantity",
        "is_low",
        "is_active",
    )
    list_filter = ("is_active", LowStockFilter)
    search_fields = ("sku", "name")
    readonly_fields = ("stock_quantity", "version", "created_at", "updated_at")
    ordering = ("name",)

    @admin.display(boolean=True, description="Low stock")
    def is_low(self, product: Product) -> bool:
        return product.low_stock


class StockMovementForm(forms.ModelForm):
    """Moves stock with the API's service: same locks, same bounds, same ledger and event."""

    class Meta:
        model = StockMovement
        fields = ["product", "kind", "quantity", "reason", "reference"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            # Runs inside the admin's transaction: a later failure undoes it too.
            self.movement = services.stock_movement_create(
                product_id=cleaned["product"].pk,
                kind=cleaned["kind"],
                quantity=cleaned["quantity"],
                reason=cleaned["reason"],
                reference=cleaned.get("reference", ""),
                actor_id=str(self.request_user.pk),
                actor_username=self.request_user.get_username(),
            )
        except DomainError as error:
            raise forms.ValidationError(str(error.detail)) from error
        return cleaned


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    form = StockMovementForm
    list_display = (
        "created_at",
        "product",
        "kind",
        "quantity",
        "delta",
        "quantity_after",
        "reason",
        "reference",
        "created_by_username",
    )
    list_filter = ("kind",)
    search_fields = ("product__sku", "product__name", "reference", "reason")
    list_select_related = ("product",)
    date_hierarchy = "created_at"

    def get_form(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        return form

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        return [field.name for field in StockMovement._meta.fields] if obj else []

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        # The service already wrote the movement in form.clean(); show that one.
        obj.pk = form.movement.pk
        obj._state.adding = False
        for field in StockMovement._meta.fields:
            setattr(obj, field.attname, getattr(form.movement, field.attname))
