"""Clients in and out of spreadsheets (common.admin.spreadsheets): one row per client with its
default address, matched by CPF/CNPJ. Each row is checked as the API checks a body
(its input serializers, then clients.services) and written through the services."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients import services
from clients.models import Address, Client
from clients.views import AddressInputSerializer, ClientInputSerializer
from common.admin.spreadsheets import Column, Export, Row, read_boolean
from common.auth.actors import Actor
from common.localization.formats import format_cep, format_document

CLIENT_COLUMNS = ("kind", "name", "document", "email", "phone")
ADDRESS_COLUMNS = (
    "label",
    "street",
    "number",
    "complement",
    "district",
    "city",
    "state",
    "postal_code",
)
COLUMNS = (
    Column("kind", _("kind"), required=False),
    Column("name", _("name")),
    Column("document", "CPF/CNPJ"),
    Column("email", _("email"), required=False),
    Column("phone", _("phone"), required=False),
    Column("is_active", _("active"), "boolean", required=False),
    Column("label", _("label"), required=False),
    Column("street", _("street"), required=False),
    Column("number", _("number"), required=False),
    Column("complement", _("complement"), required=False),
    Column("district", _("district"), required=False),
    Column("city", _("city"), required=False),
    Column("state", _("state"), required=False),
    Column("postal_code", _("CEP"), required=False),
    # Exported for the reader; an import ignores it.
    Column("created_at", _("created at"), "datetime", required=False),
)


def _kind(text: str, document: str) -> str:
    """The kind typed (its value or its label in any language), or, when blank, the
    one the document's length says (11 digits: a CPF)."""
    if not text:
        digits = "".join(char for char in document if char.isalnum())
        return Client.Kind.INDIVIDUAL if len(digits) == 11 else Client.Kind.COMPANY
    typed = text.casefold()
    for value, label in Client.Kind.choices:
        names = {value}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(str(label).casefold())
        if typed in names:
            return value
    return text  # the service refuses it, naming the kinds


def _checked(serializer_class: type, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` validated as the API validates a body; its messages keyed by field."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationError(
            {
                field: [str(message) for message in found]
                for field, found in serializer.errors.items()
            }
        )
    return dict(serializer.validated_data)


def _may(actor: Actor, code: str) -> None:
    if not (actor.is_superuser or code in actor.permissions):
        raise PermissionDenied(gettext("You may not do this (%(code)s).") % {"code": code})


class ClientImporter:
    columns = COLUMNS
    note = _(
        "One row per client, matched by CPF/CNPJ: a known one is updated, a new one "
        "created. The address columns, when filled, are the client's default address."
    )

    def import_row(self, row: Row, *, actor: Actor) -> str:
        values = row.values
        data = {field: values.get(field, "") for field in CLIENT_COLUMNS}
        data["kind"] = _kind(data["kind"], data["document"])
        client_values = _checked(ClientInputSerializer, data)
        try:
            is_active = read_boolean(values.get("is_active", ""), default=True)
        except ValidationError as error:
            raise ValidationError({"is_active": error.messages}) from error
        address = self._address(values)
        document = services.normalize_document(client_values["kind"], client_values["document"])
        client = Client.objects.filter(document=document).prefetch_related("addresses").first()
        if client is None:
            _may(actor, "clients.add_client")
            client = services.client_create(actor=actor, **client_values)
            if address:
                services.address_create(actor=actor, client_id=client.pk, **address)
            if not is_active:
                services.client_deactivate(actor=actor, client_id=client.pk, expected_version=None)
            return "created"
        changes = self._client_changes(client, client_values, is_active)
        default = next((found for found in client.addresses.all() if found.is_default), None)
        address_changes = self._address_changes(default, address) if address else {}
        if not changes and not address_changes:
            return "unchanged"  # nothing is written, so nothing is published
        _may(actor, "clients.change_client")
        if changes:
            services.client_update(
                actor=actor, client_id=client.pk, expected_version=None, **changes
            )
        if address_changes and default is None:
            services.address_create(actor=actor, client_id=client.pk, **address)
        elif address_changes:
            services.address_update(
                actor=actor,
                client_id=client.pk,
                address_id=default.pk,
                expected_version=None,
                **address_changes,
            )
        return "updated"

    @staticmethod
    def _address(values: dict[str, str]) -> dict[str, Any]:
        """The row's address, checked and normalized; empty when its columns are blank."""
        address = {field: values.get(field, "") for field in ADDRESS_COLUMNS}
        if not any(address.values()):
            return {}
        checked = _checked(AddressInputSerializer, address)
        return {**services.clean_address_values(checked), "is_default": True}

    @staticmethod
    def _client_changes(client: Client, values: dict[str, Any], is_active: bool) -> dict[str, Any]:
        wanted = {
            "kind": values["kind"],
            "name": values["name"].strip(),
            "email": values.get("email", "").strip(),
            "phone": services.normalize_phone(values.get("phone", "")),
            "is_active": is_active,
        }
        return {field: value for field, value in wanted.items() if getattr(client, field) != value}

    @staticmethod
    def _address_changes(default: Address | None, address: dict[str, Any]) -> dict[str, Any]:
        if default is None:
            return address
        return {
            field: value for field, value in address.items() if getattr(default, field) != value
        }


def _rows(queryset: Any) -> Iterator[Sequence[Any]]:
    for client in queryset.prefetch_related("addresses").iterator(chunk_size=500):
        default = next((found for found in client.addresses.all() if found.is_default), None)
        address = (
            [getattr(default, field) for field in ADDRESS_COLUMNS[:-1]]
            + [format_cep(default.postal_code)]
            if default
            else [""] * len(ADDRESS_COLUMNS)
        )
        yield [
            client.get_kind_display(),
            client.name,
            format_document(client.document),
            client.email,
            client.phone,
            client.is_active,
            *address,
            client.created_at,
        ]


EXPORT = Export(file_name=_("clients"), columns=COLUMNS, rows=_rows)
