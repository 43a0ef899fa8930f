"""orders_api's admin: orders placed, edited, finished and cancelled through the same
services and permission codes as the API; the local copies are read only.

Codes, as in the API: ``orders.view_order`` to see, ``orders.add_order`` to place,
``orders.change_order`` to edit an open order's notes, address and items and to finish
it, ``orders.cancel_order`` to cancel. Orders are never deleted.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from common.admin.model_admins import ReadOnlyAdmin, ServiceWritesAdmin, refusal_message
from common.admin.spreadsheets import SpreadsheetAdminMixin
from common.api.errors import DomainError
from common.auth.actors import actor_of
from common.localization.formats import brl, format_address, format_document
from common.localization.search import SEARCH
from orders import services, spreadsheets
from orders.models import ClientSnapshot, Order, OrderItem, OrderStatusChange, ProductSnapshot

VIEW = "orders.view_order"
ADD = "orders.add_order"
CHANGE = "orders.change_order"
CANCEL = "orders.cancel_order"


def _other_admin(service: str, path_: str) -> str:
    """An address in another service's admin (BACK_OFFICE_URLS, as the shared header)."""
    return f"{settings.BACK_OFFICE_URLS[service].rstrip('/')}/admin/{path_}"


def _link(url: str, text: Any) -> str:
    return format_html('<a href="{}">{}</a>', url, text)


class ShownWithOrders:
    """Items, status history and the copies have no codes of their own: whoever may see
    orders (``orders.view_order``) sees them, as in the API."""

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.has_perm(VIEW)


def _is_open(order: Order | None) -> bool:
    return order is None or order.status == Order.Status.OPEN


class OrderItemForm(forms.ModelForm):
    """A line: a product copy (new lines only) and a quantity; the price is the copy's."""

    product = forms.ModelChoiceField(
        label=capfirst(_("product")),
        queryset=ProductSnapshot.objects.filter(is_active=True),
        widget=AutocompleteSelect(OrderItem._meta.get_field("product"), admin.site),
    )
    quantity = forms.IntegerField(label=capfirst(_("quantity")), min_value=1, max_value=1_000_000)

    class Meta:
        model = OrderItem
        fields = ["quantity"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            # A line keeps its product: to change it, remove the line and add another.
            field = self.fields["product"]
            field.disabled = True
            field.required = False
            field.queryset = ProductSnapshot.objects.all()
            self.initial["product"] = self.instance.product_id


class OrderItemFormSet(forms.BaseInlineFormSet):
    """Written by OrderAdmin.save_formset through the services, never by ``save()``."""


class OrderItemInline(ShownWithOrders, admin.TabularInline):
    model = OrderItem
    form = OrderItemForm
    formset = OrderItemFormSet
    extra = 0
    fields = ("product", "sku_link", "product_name", "quantity", "unit_price_brl", "total_brl")
    readonly_fields = ("product_copy", "sku_link", "product_name", "unit_price_brl", "total_brl")

    def get_fields(self, request: Any, obj: Order | None = None) -> Any:
        if self.has_change_permission(request, obj) or self.has_add_permission(request, obj):
            return self.fields
        # Shown read-only, the copy reference would be titled by its name, untranslated
        # (the admin does not look up a ForeignObject's verbose name there).
        return ("product_copy", *self.fields[1:])

    @admin.display(description=_("product"))
    def product_copy(self, item: OrderItem) -> str:
        return str(item.product) if item.product else item.product_name

    @admin.display(description=_("SKU"))
    def sku_link(self, item: OrderItem) -> str:
        if item._state.adding:
            return ""
        url = _other_admin("products_api", f"products/product/{item.product_id}/change/")
        return _link(url, item.sku)

    @admin.display(description=_("unit price"))
    def unit_price_brl(self, item: OrderItem) -> str:
        return "" if item._state.adding else brl(item.unit_price)

    @admin.display(description=_("total"))
    def total_brl(self, item: OrderItem) -> str:
        return "" if item._state.adding else brl(item.total)

    def get_extra(self, request: Any, obj: Order | None = None, **kwargs: Any) -> int:
        return 1 if _is_open(obj) and self.has_add_permission(request, obj) else 0

    def has_add_permission(self, request: Any, obj: Order | None = None) -> bool:
        code = ADD if obj is None else CHANGE
        return request.user.has_perm(code) and _is_open(obj)

    def has_change_permission(self, request: Any, obj: Order | None = None) -> bool:
        return request.user.has_perm(CHANGE) and _is_open(obj)

    def has_delete_permission(self, request: Any, obj: Order | None = None) -> bool:
        return obj is not None and request.user.has_perm(CHANGE) and _is_open(obj)


class StatusChangeInline(ShownWithOrders, admin.TabularInline):
    model = OrderStatusChange
    fields = ("changed_at", "from_status", "to_status", "reason", "changed_by_username")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class OrderAddForm(forms.ModelForm):
    """Placing an order: an active client's copy (its default address is copied) and notes."""

    client = forms.ModelChoiceField(
        label=capfirst(_("client")),
        queryset=ClientSnapshot.objects.filter(is_active=True),
        widget=AutocompleteSelect(Order._meta.get_field("client"), admin.site),
    )

    class Meta:
        model = Order
        fields = ["notes"]


class OrderChangeForm(forms.ModelForm):
    """An open order's notes and shipping address (one of the client copy's addresses)."""

    shipping_address_id = forms.ChoiceField(label=capfirst(_("shipping address")), required=False)

    class Meta:
        model = Order
        fields = ["notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client = ClientSnapshot.objects.filter(pk=self.instance.client_id).first()
        addresses = client.addresses if client else []
        current = (self.instance.shipping_address or {}).get("id", "")
        choices = [(address["id"], format_address(address)) for address in addresses]
        if current and current not in {choice[0] for choice in choices}:
            # The copied address is no longer the client's: keep showing it, as copied.
            choices.insert(0, (current, format_address(self.instance.shipping_address)))
        self.fields["shipping_address_id"].choices = [("", "—"), *choices]
        self.initial["shipping_address_id"] = current


@admin.register(Order)
class OrderAdmin(SpreadsheetAdminMixin, ServiceWritesAdmin):
    inlines = [OrderItemInline, StatusChangeInline]
    export = spreadsheets.EXPORT
    list_display = (
        "number",
        "client_link",
        "status",
        "stock_status",
        "total_brl",
        "created_at",
    )
    list_filter = ("status", "stock_status", "created_at")
    search_fields = ("=number", SEARCH)
    date_hierarchy = "created_at"
    ordering = ("-number",)
    actions = ["finish_selected", "cancel_selected"]
    readonly_fields = (
        "number",
        "client_link",
        "status",
        "stock_status",
        "shortages",
        "stock_reason_shown",
        "shipping_address_display",
        "total_brl",
        "created_by_username",
        "cancel_reason",
        "version",
        "created_at",
        "finished_at",
        "updated_at",
    )

    # --- what the pages show ----------------------------------------------------------

    def get_form(self, request: Any, obj: Order | None = None, **kwargs: Any) -> Any:
        kwargs["form"] = OrderAddForm if obj is None else OrderChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: Any, obj: Order | None = None) -> Any:
        if obj is None:
            return [(None, {"fields": ["client", "notes"]})]
        editable = (
            ["shipping_address_id", "notes"] if self.has_change_permission(request, obj) else []
        )
        shown = [] if editable else ["shipping_address_display", "notes"]
        return [
            (
                None,
                {
                    "fields": [
                        ("number", "status"),
                        "client_link",
                        *editable,
                        *shown,
                        "total_brl",
                        "created_by_username",
                    ]
                },
            ),
            (
                _("Stock"),
                {"fields": ["stock_status", "shortages", "stock_reason_shown", "cancel_reason"]},
            ),
            (
                _("History"),
                {
                    "classes": ["collapse"],
                    "fields": ["version", "created_at", "finished_at", "updated_at"],
                },
            ),
        ]

    def get_readonly_fields(self, request: Any, obj: Order | None = None) -> Any:
        if obj is None:
            return ()
        if not self.has_change_permission(request, obj):
            return (*self.readonly_fields, "notes")
        return self.readonly_fields

    @admin.display(description=_("client"), ordering="client_name")
    def client_link(self, order: Order) -> str:
        url = _other_admin("clients_api", f"clients/client/{order.client_id}/change/")
        return _link(url, order.client_name)

    @admin.display(description=_("total"), ordering="total")
    def total_brl(self, order: Order) -> str:
        return brl(order.total)

    @admin.display(description=_("shipping address"))
    def shipping_address_display(self, order: Order) -> str:
        return format_address(order.shipping_address) or "—"

    @admin.display(description=_("placed by"))
    def created_by_username(self, order: Order) -> str:
        placed = order.status_changes.filter(from_status="").first()
        return placed.changed_by_username if placed else order.created_by

    @admin.display(description=_("stock refusal reason"))
    def stock_reason_shown(self, order: Order) -> str:
        return order.stock_reason_text() or "—"

    @admin.display(description=_("stock shortages"))
    def shortages(self, order: Order) -> str:
        if not order.stock_shortages:
            return "—"
        return format_html_join(
            "",
            "<div>{}</div>",
            (
                (
                    gettext("%(sku)s: %(requested)s asked, %(available)s in stock")
                    % {
                        "sku": short.get("sku", "?"),
                        "requested": short.get("requested", "?"),
                        "available": short.get("available", "?"),
                    },
                )
                for short in order.stock_shortages
            ),
        )

    # --- permissions: the API's codes ---------------------------------------------------

    def has_change_permission(self, request: Any, obj: Order | None = None) -> bool:
        return request.user.has_perm(CHANGE) and _is_open(obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    # --- writes: orders.services, one use-case per change ----------------------------------

    def save_model(self, request: Any, obj: Order, form: Any, change: bool) -> None:
        if not change:
            order = services.order_create(
                actor=actor_of(request.user),
                client_id=form.cleaned_data["client"].pk,
                items=[],
                notes=form.cleaned_data.get("notes", ""),
            )
        elif {"notes", "shipping_address_id"} & set(form.changed_data):
            address_id = form.cleaned_data.get("shipping_address_id")
            order = services.order_update(
                actor=actor_of(request.user),
                order_id=obj.pk,
                expected_version=None,
                notes=form.cleaned_data.get("notes"),
                shipping_address_id=uuid.UUID(address_id) if address_id else None,
            )
        else:
            return
        self.show_written(obj, order)

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not OrderItem:
            return  # the status history is read only
        order = form.instance
        actor = actor_of(request.user)
        for item_form in formset.deleted_forms:
            if item_form in formset.initial_forms:
                services.order_item_remove(
                    actor=actor,
                    order_id=order.pk,
                    item_id=item_form.instance.pk,
                    expected_version=None,
                )
                formset.deleted_objects.append(item_form.instance)
        for item_form in formset.forms:
            if item_form in formset.deleted_forms or not item_form.has_changed():
                continue
            quantity = item_form.cleaned_data["quantity"]
            if item_form in formset.initial_forms:
                item = services.order_item_update(
                    actor=actor,
                    order_id=order.pk,
                    item_id=item_form.instance.pk,
                    quantity=quantity,
                    expected_version=None,
                )
                formset.changed_objects.append((item, ["quantity"]))
            else:
                item = services.order_item_add(
                    actor=actor,
                    order_id=order.pk,
                    product_id=item_form.cleaned_data["product"].pk,
                    quantity=quantity,
                )
                formset.new_objects.append(item)
        order.refresh_from_db()

    def response_add(self, request: Any, obj: Order, post_url_continue: Any = None) -> Any:
        # A new order is only begun: go on to its page to add items and finish it.
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)

    # --- finish and cancel: buttons on the order's page, and list actions ----------------

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<uuid:order_id>/finish/",
                wrap(require_POST(self.finish_view)),
                name="orders_order_finish",
            ),
            path(
                "<uuid:order_id>/cancel/",
                wrap(require_POST(self.cancel_view)),
                name="orders_order_cancel",
            ),
            *super().get_urls(),
        ]

    def render_change_form(
        self,
        request: Any,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Order | None = None,
    ) -> Any:
        if obj is not None:
            context["can_finish"] = obj.status == Order.Status.OPEN and request.user.has_perm(
                CHANGE
            )
            context["can_cancel"] = request.user.has_perm(CANCEL) and (
                obj.status == Order.Status.OPEN
                or (
                    obj.status == Order.Status.FINISHED
                    and obj.stock_status == Order.StockStatus.REFUSED
                )
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _transition(
        self, request: HttpRequest, order_id: uuid.UUID, code: str, use_case: Any, **kwargs: Any
    ) -> HttpResponse:
        """Runs ``use_case`` (finish or cancel) for a holder of ``code``; back to the order."""
        if not request.user.has_perm(code):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        try:
            order = use_case(
                order_id=order.pk, actor=actor_of(request.user), expected_version=None, **kwargs
            )
        except DomainError as error:
            self.message_user(request, refusal_message(error), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("Order %(order)s is now %(status)s.")
                % {"order": order, "status": order.get_status_display()},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))

    def finish_view(self, request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
        return self._transition(request, order_id, CHANGE, services.order_finish)

    def cancel_view(self, request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
        reason = request.POST.get("reason", "").strip()[:200]
        return self._transition(request, order_id, CANCEL, services.order_cancel, reason=reason)

    def _each(self, request: Any, queryset: Any, use_case: Any) -> None:
        done, actor = 0, actor_of(request.user)
        for order in queryset.order_by("number"):
            try:
                use_case(order_id=order.pk, actor=actor, expected_version=None)
            except DomainError as error:
                self.message_user(request, refusal_message(error), messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request, gettext("%(count)d order(s) changed.") % {"count": done}, messages.SUCCESS
            )

    @admin.action(description=_("Finish the selected orders"), permissions=["change"])
    def finish_selected(self, request: Any, queryset: Any) -> None:
        self._each(request, queryset, services.order_finish)

    @admin.action(description=_("Cancel the selected orders"), permissions=["cancel"])
    def cancel_selected(self, request: Any, queryset: Any) -> None:
        self._each(request, queryset, services.order_cancel)

    def has_cancel_permission(self, request: Any) -> bool:
        return request.user.has_perm(CANCEL)


@admin.register(ClientSnapshot)
class ClientSnapshotAdmin(ShownWithOrders, ReadOnlyAdmin):
    list_display = ("name", "document_formatted", "is_active", "version", "synced_at")
    list_filter = ("is_active", "kind")
    search_fields = (SEARCH,)

    @admin.display(description=_("document"), ordering="document")
    def document_formatted(self, client: ClientSnapshot) -> str:
        url = _other_admin("clients_api", f"clients/client/{client.pk}/change/")
        return _link(url, format_document(client.document))


@admin.register(ProductSnapshot)
class ProductSnapshotAdmin(ShownWithOrders, ReadOnlyAdmin):
    list_display = (
        "sku_link",
        "name",
        "price_brl",
        "stock_quantity",
        "is_active",
        "version",
        "synced_at",
    )
    list_filter = ("is_active",)
    search_fields = (SEARCH,)

    @admin.display(description=_("SKU"), ordering="sku")
    def sku_link(self, product: ProductSnapshot) -> str:
        return _link(
            _other_admin("products_api", f"products/product/{product.pk}/change/"), product.sku
        )

    @admin.display(description=_("price"), ordering="price")
    def price_brl(self, product: ProductSnapshot) -> str:
        return brl(product.price)
