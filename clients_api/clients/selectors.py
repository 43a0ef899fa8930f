"""Reads of clients_api."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from clients.models import Address, Client


def client_list() -> QuerySet[Client]:
    """Clients with their addresses prefetched: a constant number of queries per page."""
    return Client.objects.prefetch_related(
        Prefetch("addresses", queryset=Address.objects.order_by("-is_default", "created_at"))
    )


def client_get(*, client_id: uuid.UUID) -> Client:
    """Raises Http404 when no client has this id."""
    try:
        return client_list().get(pk=client_id)
    except Client.DoesNotExist as exc:
        raise Http404 from exc


def address_list(*, client_id: uuid.UUID) -> QuerySet[Address]:
    """The client's addresses, default first. Raises Http404 for an unknown client."""
    if not Client.objects.filter(pk=client_id).exists():
        raise Http404
    return Address.objects.filter(client_id=client_id).order_by("-is_default", "created_at")


def address_get(*, client_id: uuid.UUID, address_id: uuid.UUID) -> Address:
    """Raises Http404 unless the address exists and belongs to the client."""
    try:
        return Address.objects.get(pk=address_id, client_id=client_id)
    except Address.DoesNotExist as exc:
        raise Http404 from exc
