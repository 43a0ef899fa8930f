"""Products in and out of spreadsheets (common.admin.spreadsheets): one row per product,
matched by SKU, a new one with its initial stock; and the ledger's export. Each row is
checked as the API checks a body (its input serializer, prices read as people type them,
then products.services) and written through the services."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin.spreadsheets import Column, Export, Row, read_boolean
from common.auth.actors import Actor
from common.localization.forms import read_decimal
from products import services
from products.models import Product, StockMovement
from products.views import ProductCreateSerializer

COLUMNS = (
    Column("sku", _("SKU")),
    Column("name", _("name")),
    Column("description", _("description"), required=False),
    Column("price", _("price"), "decimal"),
    Column("is_active", _("active"), "boolean", required=False),
    Column("stock_quantity", _("stock quantity"), "integer", required=False),
    Column("min_quantity", _("minimum quantity"), "integer", required=False),
    Column("max_quantity", _("maximum quantity"), "integer"),
    # Exported for the reader; an import ignores it.
    Column("created_at", _("created at"), "datetime", required=False),
)
#: What a row sets on a product that exists (its stock moves only through the ledger).
UPDATED_FIELDS = ("name", "description", "price", "is_active", "min_quantity", "max_quantity")


def _may(actor: Actor, code: str) -> None:
    if not (actor.is_superuser or code in actor.permissions):
        raise PermissionDenied(gettext("You may not do this (%(code)s).") % {"code": code})


def _values(row: Row) -> dict[str, Any]:
    """The row as the API's create takes it, checked by its serializer."""
    data: dict[str, Any] = {
        field: row.values.get(field, "")
        for field in ("sku", "name", "description", "min_quantity", "max_quantity")
    }
    data["stock_quantity"] = row.values.get("stock_quantity", "") or "0"
    data["min_quantity"] = data["min_quantity"] or "0"
    errors: dict[str, list[str]] = {}
    try:
        data["price"] = read_decimal(row.values.get("price", ""))  # 8,99 or 8.99
    except ValidationError as error:
        errors["price"] = error.messages
    try:
        data["is_active"] = read_boolean(row.values.get("is_active", ""), default=True)
    except ValidationError as error:
        errors["is_active"] = error.messages
    serializer = ProductCreateSerializer(data={k: v for k, v in data.items() if k not in errors})
    if not serializer.is_valid():
        for field, found in serializer.errors.items():
            errors.setdefault(field, [str(message) for message in found])
    if errors:
        raise ValidationError(errors)
    return dict(serializer.validated_data)


class ProductImporter:
    columns = COLUMNS
    note = _(
        "One row per product, matched by SKU: a known one is updated, a new one created "
        "with the stock column as its initial stock. A known product's stock changes "
        "only through stock movements: its stock column is not read."
    )

    def import_row(self, row: Row, *, actor: Actor) -> str:
        values = _values(row)
        sku = services.normalize_sku(values["sku"])
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            _may(actor, "products.add_product")
            services.product_create(actor=actor, **values)
            return "created"
        values["name"] = values["name"].strip()
        changes = {
            field: values[field]
            for field in UPDATED_FIELDS
            if field in values and getattr(product, field) != values[field]
        }
        if not changes:
            return "unchanged"  # nothing is written, so nothing is published
        _may(actor, "products.change_product")
        services.product_update(
            actor=actor, product_id=product.pk, expected_version=None, **changes
        )
        return "updated"


def _product_rows(queryset: Any) -> Iterator[Sequence[Any]]:
    for product in queryset.iterator(chunk_size=1000):
        yield [
            product.sku,
            product.name,
            product.description,
            product.price,
            product.is_active,
            product.stock_quantity,
            product.min_quantity,
            product.max_quantity,
            product.created_at,
        ]


PRODUCTS = Export(file_name=_("products"), columns=COLUMNS, rows=_product_rows)


def _label(field: str) -> Any:
    return StockMovement._meta.get_field(field).verbose_name


MOVEMENT_COLUMNS = (
    Column("created_at", _label("created_at"), "datetime"),
    Column("sku", _("SKU")),
    Column("product", _label("product")),
    Column("kind", _label("kind")),
    Column("quantity", _label("quantity"), "integer"),
    Column("delta", _label("delta"), "integer"),
    Column("quantity_after", _label("quantity_after"), "integer"),
    Column("reason", _label("reason")),
    Column("reference", _label("reference")),
    Column("created_by", _label("created_by_username")),
)


def _movement_rows(queryset: Any) -> Iterator[Sequence[Any]]:
    for movement in queryset.select_related("product").iterator(chunk_size=1000):
        yield [
            movement.created_at,
            movement.product.sku,
            movement.product.name,
            movement.get_kind_display(),
            movement.quantity,
            movement.delta,
            movement.quantity_after,
            movement.reason_text,
            movement.reference,
            movement.created_by_username,
        ]


MOVEMENTS = Export(file_name=_("stock-movements"), columns=MOVEMENT_COLUMNS, rows=_movement_rows)
