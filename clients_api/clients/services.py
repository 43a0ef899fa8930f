"""Write use-cases of clients_api. Each runs in one transaction; the client's save
records its event (``clients.events``) in that transaction.

Each takes the ``actor`` (``common.actors.Actor``; None for the system, e.g. a seed),
as every service's writes do; clients_api records no author yet.

Errors: ``django.core.exceptions.ValidationError`` keyed by field (400),
``common.errors.NotFound`` (404; ``clients.errors.AddressNotFound`` for an address),
``common.errors.PreconditionFailed`` when ``If-Match`` names an old version (412).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from clients import brazil, selectors
from clients.errors import AddressNotFound
from clients.models import Address, Client
from common.actors import Actor
from common.services import lock, model_update, save_unique
from common.versioning import check_version

CLIENT_FIELDS = frozenset({"kind", "name", "document", "email", "phone", "is_active"})
ADDRESS_FIELDS = frozenset(
    {
        "label",
        "street",
        "number",
        "complement",
        "district",
        "city",
        "state",
        "postal_code",
        "country",
        "is_default",
    }
)
_PHONE_SEPARATORS = re.compile(r"[\s().+-]")


def _normalized(field: str, normalize: Any, value: str) -> str:
    try:
        return normalize(value)
    except ValueError as exc:
        raise ValidationError({field: [str(exc)]}) from exc


def _document_for(kind: str, document: str) -> str:
    if kind == Client.Kind.INDIVIDUAL:
        return _normalized("document", brazil.normalize_cpf, document)
    if kind == Client.Kind.COMPANY:
        return _normalized("document", brazil.normalize_cnpj, document)
    raise ValidationError(
        {"kind": [gettext("Use one of: %(kinds)s.") % {"kinds": ", ".join(Client.Kind.values)}]}
    )


def normalize_phone(value: str) -> str:
    """The digits of a phone with its area code. Raises ValidationError keyed ``phone``."""
    phone = _PHONE_SEPARATORS.sub("", value)
    if phone and (not phone.isdigit() or not 10 <= len(phone) <= 13):
        raise ValidationError(
            {
                "phone": [
                    gettext("A phone has 10 to 13 digits with the area code, e.g. (11) 91234-5678.")
                ]
            }
        )
    return phone


def _save_client(client: Client) -> None:
    """Validates and saves; the unique index still refuses a concurrent duplicate document."""
    save_unique(client, unique={"document": gettext("A client with this document already exists.")})


@transaction.atomic
def client_create(
    *,
    actor: Actor | None,
    kind: str,
    name: str,
    document: str,
    email: str = "",
    phone: str = "",
) -> Client:
    """Registers a client; publishes ``clients.client.created``. Returns it with its
    (empty) addresses loaded."""
    client = Client(
        kind=kind,
        name=name.strip(),
        document=_document_for(kind, document),
        email=email.strip(),
        phone=normalize_phone(phone),
    )
    selectors.client_without_addresses(client)
    _save_client(client)
    return client


@transaction.atomic
def client_update(
    *, actor: Actor | None, client_id: uuid.UUID, expected_version: int | None, **changes: Any
) -> Client:
    """Changes the given fields (see CLIENT_FIELDS); publishes one ``updated`` (or ``deleted``
    when it deactivates the client). Returns it with its addresses loaded."""
    client = lock(Client, client_id, expected_version=expected_version)
    selectors.client_load_addresses(client)  # read once, for the event and the caller
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "phone" in changes:
        changes["phone"] = normalize_phone(changes["phone"])
    if "email" in changes:
        changes["email"] = changes["email"].strip()
    kind = changes.get("kind", client.kind)
    if "kind" in changes or "document" in changes:
        changes["document"] = _document_for(kind, changes.get("document", client.document))
    model_update(client, fields=CLIENT_FIELDS, data=changes)
    _save_client(client)
    return client


@transaction.atomic
def client_deactivate(
    *, actor: Actor | None, client_id: uuid.UUID, expected_version: int | None
) -> Client:
    """DELETE of a client: deactivates it (it stays for history) and publishes ``deleted``.

    Deactivating an inactive client changes nothing and publishes nothing.
    """
    client = lock(Client, client_id, expected_version=expected_version)
    if client.is_active:
        client.is_active = False
        client.save()
    return client


def _clean_address_values(values: dict[str, Any]) -> dict[str, Any]:
    """The values normalized; raises one ValidationError naming every field that is
    wrong (a bad CEP and a bad UF together), not the first."""
    cleaned = dict(values)
    errors: dict[str, list[str]] = {}
    for field, normalize in (("postal_code", brazil.normalize_cep), ("state", brazil.normalize_uf)):
        if field in cleaned:
            try:
                cleaned[field] = _normalized(field, normalize, cleaned[field])
            except ValidationError as error:
                errors.update(error.message_dict)
    if "country" in cleaned:
        country = cleaned["country"].strip().upper()
        if len(country) == 2 and country.isalpha():
            cleaned["country"] = country
        else:
            errors["country"] = [gettext("Use the two-letter ISO code, e.g. BR.")]
    if errors:
        raise ValidationError(errors)
    for field in ("label", "street", "number", "complement", "district", "city"):
        if field in cleaned:
            cleaned[field] = cleaned[field].strip()
    return cleaned


def _unset_other_defaults(address: Address) -> None:
    # A queryset update so the swap is one change of the client (one event), published
    # when the new default is saved; the old default's version still moves on.
    Address.objects.filter(client_id=address.client_id, is_default=True).exclude(
        pk=address.pk
    ).update(is_default=False, version=F("version") + 1, updated_at=timezone.now())


def _save_address(address: Address) -> None:
    address.full_clean(exclude=["client"], validate_unique=False, validate_constraints=False)
    if address.is_default:
        _unset_other_defaults(address)
    address.save()


@transaction.atomic
def address_create(*, actor: Actor | None, client_id: uuid.UUID, **values: Any) -> Address:
    """Adds an address; a client's first address becomes its default.

    Publishes one ``clients.client.updated``.
    """
    client = lock(Client, client_id)
    address = Address(client=client)
    model_update(address, fields=ADDRESS_FIELDS, data=_clean_address_values(values))
    if not client.addresses.exists():
        address.is_default = True
    _save_address(address)
    return address


def _lock_address(
    client_id: uuid.UUID, address_id: uuid.UUID, expected_version: int | None
) -> Address:
    client = lock(Client, client_id)  # serializes default swaps of one client
    address = Address.objects.filter(pk=address_id, client_id=client_id).first()
    if address is None:
        raise AddressNotFound()
    check_version(address, expected_version)
    address.client = client  # the row at hand: the client's event needs no read of it
    return address


@transaction.atomic
def address_update(
    *,
    actor: Actor | None,
    client_id: uuid.UUID,
    address_id: uuid.UUID,
    expected_version: int | None,
    **changes: Any,
) -> Address:
    """Changes an address; making it the default unsets the previous default.

    Publishes one ``clients.client.updated``.
    """
    address = _lock_address(client_id, address_id, expected_version)
    model_update(address, fields=ADDRESS_FIELDS, data=_clean_address_values(changes))
    _save_address(address)
    return address


@transaction.atomic
def address_delete(
    *,
    actor: Actor | None,
    client_id: uuid.UUID,
    address_id: uuid.UUID,
    expected_version: int | None,
) -> None:
    """Removes an address; publishes one ``clients.client.updated``."""
    _lock_address(client_id, address_id, expected_version).delete()
