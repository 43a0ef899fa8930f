"""products_api's admin: products with their recent movements, written through
products.services as the API writes them; stock moves only through movements, and
"delete" deactivates."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin.model_admins import ServiceWritesAdmin
from common.admin.spreadsheets import SpreadsheetAdminMixin
from common.auth.actors import actor_of
from common.localization.formats import brl
from common.localization.forms import read_decimal
from common.localization.search import SEARCH
from products import selectors, services, spreadsheets
from products.models import Product, ProductImport, ReorderSuggestion, StockMovement

MOVEMENT_COLUMNS = (
    "created_at",
    "kind",
    "quantity",
    "delta",
    "reserved_delta",
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


class PriceRangeFilter(admin.ListFilter):
    """``min_price`` and ``max_price``, the API's price range, typed as people write prices
    (``8,99``, ``1.234,56``); a price that cannot be read is the admin's "invalid" page."""

    title = _("price")
    template = "admin/products/price_range_filter.html"
    LOOKUPS = {"min_price": "price__gte", "max_price": "price__lte"}

    def __init__(self, request: Any, params: Any, model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        for name in self.LOOKUPS:
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return list(self.LOOKUPS)

    def queryset(self, request: Any, queryset: Any) -> Any:
        bounds = {}
        for name, typed in self.used_parameters.items():
            if typed.strip():
                try:
                    bounds[self.LOOKUPS[name]] = Decimal(read_decimal(typed))
                except ValidationError as error:
                    raise IncorrectLookupParameters(error) from error
        return queryset.filter(**bounds)

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        # One "choice": the form, which carries the list's other parameters along.
        yield {
            "kept": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if name not in self.LOOKUPS
                for value in values
            ],
            **{name: self.used_parameters.get(name, "") for name in self.LOOKUPS},
        }


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
class ProductAdmin(SpreadsheetAdminMixin, ServiceWritesAdmin):
    form = ProductForm
    importer = spreadsheets.ProductImporter()
    import_job_model = ProductImport
    export = spreadsheets.PRODUCTS
    inlines = [RecentMovementInline]
    list_display = (
        "sku",
        "name",
        "price_brl",
        "stock_quantity",
        "reserved",
        "min_quantity",
        "max_quantity",
        "is_low",
        "is_active",
    )
    list_filter = ("is_active", LowStockFilter)
    search_fields = (SEARCH,)  # SKU and name, accent- and case-insensitive
    readonly_fields = ("stock_quantity", "reserved", "version", "created_at", "updated_at")
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
class StockMovementAdmin(ReasonInReaderLanguage, SpreadsheetAdminMixin, ServiceWritesAdmin):
    """Moves stock with the API's service: same locks, same bounds, same ledger and event."""

    export = spreadsheets.MOVEMENTS
    feminine_name = True  # "movimentação de estoque"
    fields = ["product", "kind", "quantity", "reason", "reference"]
    autocomplete_fields = ["product"]
    # The quantity is the size of the change the two deltas sign: the page shows the
    # deltas and keeps the quantity for a movement's own page (the list fits 1280 px).
    list_display = (
        "created_at",
        "product",
        "kind",
        "delta",
        "reserved_delta",
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

    def formfield_for_choice_field(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        # Reserve and release are written by orders' reservations, never by hand.
        if db_field.name == "kind":
            kwargs["choices"] = [(kind.value, kind.label) for kind in StockMovement.PERSON_KINDS]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

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


#: The CSV's text cells that a spreadsheet would read as a formula get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@admin.register(ReorderSuggestion)
class ReorderSuggestionAdmin(admin.ModelAdmin):
    """The "Purchase suggestion" page: the rows of ``GET /api/v1/products/reorder`` with
    its filters (search by name or SKU, low stock, price range), for whoever may see
    products, and the same rows as a CSV for a supplier (``csv_view``)."""

    # Short titles (the fields' own read "Quantidade em estoque", ...): nine columns and
    # the filters fit a 1280 px window in pt-BR. The CSV keeps the long ones.
    list_display = (
        "sku",
        "name",
        "stock_display",
        "reserved",
        "available_display",
        "min_display",
        "max_display",
        "suggested_display",
        "price_brl",
    )
    list_display_links = None  # rows to read, not to open
    list_filter = (LowStockFilter, PriceRangeFilter)
    search_fields = (SEARCH,)  # SKU and name, accent- and case-insensitive
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.reorder_list()

    def default_order(self) -> str:
        """``selectors.REORDER_ORDERING`` as the changelist's ``o`` parameter (column
        numbers): given to a request without one, so the rows come in the API's order
        and the column headers show it (the ``ordering`` attribute may name fields
        only, not the aliases the order starts with). Its last field, the SKU, only
        breaks ties: the admin breaks them by the primary key, and a third sorted
        column's markers would cost the table width it does not have."""
        columns = [
            getattr(getattr(self, name, None), "admin_order_field", name)
            for name in self.list_display
        ]
        return ".".join(
            f"{'-' if field.startswith('-') else ''}{columns.index(field.removeprefix('-'))}"
            for field in selectors.REORDER_ORDERING[:-1]
        )

    def ordered(self, request: HttpRequest) -> HttpRequest:
        """``request``, given the default order when it asks for none."""
        if ORDER_VAR not in request.GET:
            request.GET = request.GET.copy()
            request.GET[ORDER_VAR] = self.default_order()
        return request

    @admin.display(description=_("in stock"), ordering="stock_quantity")
    def stock_display(self, product: Product) -> int:
        return product.stock_quantity

    @admin.display(description=_("available"), ordering="available")
    def available_display(self, product: Product) -> int:
        return product.available

    @admin.display(description=_("minimum"), ordering="min_quantity")
    def min_display(self, product: Product) -> int:
        return product.min_quantity

    @admin.display(description=_("maximum"), ordering="max_quantity")
    def max_display(self, product: Product) -> int:
        return product.max_quantity

    @admin.display(description=_("to buy"), ordering="suggested_quantity")
    def suggested_display(self, product: Product) -> int:
        return product.suggested_quantity

    @admin.display(description=_("price"), ordering="price")
    def price_brl(self, product: Product) -> str:
        return brl(product.price)

    # Seeing products is enough; nothing here is written, and a row opens no page of
    # its own (the product's page is the products admin's).
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and request.user.has_perm("products.view_product")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        return [
            path(
                "csv/",
                self.admin_site.admin_view(self.csv_view),
                name="products_reordersuggestion_csv",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        context = {"title": capfirst(self.opts.verbose_name_plural), **(extra_context or {})}
        return super().changelist_view(self.ordered(request), context)

    def csv_view(self, request: HttpRequest) -> HttpResponse:
        """The list's rows as its filters, search and ordering select them (every page),
        as a CSV in the reader's language: in pt-BR, ``;`` between fields and decimal
        commas, as Brazilian spreadsheets read them; in English, ``,`` and points. UTF-8
        with a BOM, so Excel reads the accents."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(self.ordered(request))
        except IncorrectLookupParameters:
            return HttpResponseRedirect(
                reverse("admin:products_reordersuggestion_changelist") + "?e=1"
            )
        decimal_point = get_format("DECIMAL_SEPARATOR")
        name = gettext("purchase-suggestion")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{name}-{timezone.localdate():%Y-%m-%d}.csv"'
        )
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";" if decimal_point == "," else ",")
        writer.writerow(capfirst(str(title)) for title in self.csv_titles())
        for product in changelist.get_queryset(request):
            writer.writerow(
                [
                    _plain_text(product.sku),
                    _plain_text(product.name),
                    product.stock_quantity,
                    product.reserved,
                    product.available,
                    product.min_quantity,
                    product.max_quantity,
                    product.suggested_quantity,
                    f"{product.price:.2f}".replace(".", decimal_point),
                ]
            )
        return response

    @staticmethod
    def csv_titles() -> list[Any]:
        fields = {field.name: field.verbose_name for field in Product._meta.fields}
        return [
            fields["sku"],
            fields["name"],
            fields["stock_quantity"],
            fields["reserved"],
            _("available"),
            fields["min_quantity"],
            fields["max_quantity"],
            _("suggested quantity"),
            _("unit price"),
        ]


def _plain_text(text: str) -> str:
    """``text`` as a spreadsheet shows it, never as a formula it would run."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
