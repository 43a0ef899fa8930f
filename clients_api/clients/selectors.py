"""Reads of clients_api."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from clients.models import Address, Client
from common.service_layer.selectors import ensure_exists, get_or_not_found

#: The order ClientOutputSerializer and the client's events list addresses in.
ADDRESS_ORDER = ("-is_default", "created_at")


def _addresses() -> Prefetch:
    return Prefetch("addresses", queryset=Address.objects.order_by(*ADDRESS_ORDER))


def client_list() -> QuerySet[Client]:
    """Clients with their addresses prefetched: a constant number of queries per page."""
    return Client.objects.prefetch_related(_addresses())


def client_get(*, client_id: uuid.UUID) -> Client:
    """Raises common.api.errors.NotFound when no client has this id."""
    return get_or_not_found(client_list(), pk=client_id)


def client_load_addresses(client: Client) -> None:
    """Prefetches ``client``'s addresses (one query), so that rendering it and recording
    its event read them once."""
    prefetch_related_objects([client], _addresses())


def client_without_addresses(client: Client) -> None:
    """Gives a client being created its empty list of addresses without a query (an empty
    queryset is never sent), so that rendering it and recording its event read none."""
    prefetch_related_objects([client], Prefetch("addresses", queryset=Address.objects.none()))


def address_list(*, client_id: uuid.UUID) -> QuerySet[Address]:
    """The client's addresses, default first. Raises common.api.errors.NotFound for an unknown
    client."""
    ensure_exists(Client.objects, pk=client_id)
    return Address.objects.filter(client_id=client_id).order_by(*ADDRESS_ORDER)


def address_get(*, client_id: uuid.UUID, address_id: uuid.UUID) -> Address:
    """Raises common.api.errors.NotFound unless the address exists and belongs to the client."""
    return get_or_not_found(Address.objects, pk=address_id, client_id=client_id)
