"""What clients_api publishes: the whole client, addresses included, on every change; and
what it consumes: users_api's users, for their revocations (common.auth.revocations)."""

from __future__ import annotations

from typing import Any

from clients.models import Address, Client
from common.auth import revocations
from common.events.recording import part_of, publishes


def address_data(address: Address) -> dict[str, Any]:
    return {
        "id": str(address.id),
        "label": address.label,
        "street": address.street,
        "number": address.number,
        "complement": address.complement,
        "district": address.district,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
        "is_default": address.is_default,
    }


def client_data(client: Client) -> dict[str, Any]:
    """The client as the API shows it; read inside the change's transaction."""
    return {
        "id": str(client.id),
        "kind": client.kind,
        "name": client.name,
        "document": client.document,
        "email": client.email,
        "phone": client.phone,
        "is_active": client.is_active,
        "created_at": client.created_at.isoformat(),
        "updated_at": client.updated_at.isoformat(),
        # all(): the default first, then by creation (Address.Meta.ordering); prefetched
        # when many clients are re-published at once.
        "addresses": [address_data(address) for address in client.addresses.all()],
    }


def register() -> None:
    publishes(
        Client,
        type_prefix="clients.client",
        to_data=client_data,
        deleted_when=lambda client: not client.is_active,
        prefetch=("addresses",),
    )
    part_of(Address, aggregate=lambda address: address.client)
    revocations.consume()
