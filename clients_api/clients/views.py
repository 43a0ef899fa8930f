"""HTTP layer of clients_api: parse input, call a service or selector, render output."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import filters, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from clients import brazil, selectors, services
from clients.models import Address, Client
from clients.serializers import AddressOutputSerializer, ClientOutputSerializer
from common.api.filters import FilterBackend, FilterSet, OrderingFilter, SearchLimits
from common.api.idempotency import idempotent_create
from common.api.pagination import paginated
from common.api.serializers import RequestBodySerializer
from common.api.views import DestroyMixin, RetrieveMixin, UpdateMixin, render
from common.auth.access import model_permissions
from common.auth.actors import Actor, actor_of
from common.localization.search import SEARCH

# --- clients --------------------------------------------------------------------------


class ClientFilter(FilterSet):
    city = django_filters.CharFilter(
        field_name="addresses__city",
        lookup_expr="iexact",
        distinct=True,
        help_text="Clients with an address in this city (case-insensitive).",
    )
    state = django_filters.CharFilter(
        method="filter_state",
        help_text="Clients with an address in this state (UF, e.g. SP).",
    )

    class Meta:
        model = Client
        fields = ["is_active", "kind", "city", "state"]

    def filter_state(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(addresses__state=value.strip().upper()).distinct()


class ClientSearchFilter(filters.SearchFilter):
    """``?search=`` over name, document, email and the addresses' districts and cities,
    accent- and case-insensitive; 123.456.789-09 finds 12345678909."""

    def get_search_terms(self, request: Request) -> list[str]:
        return [
            brazil.normalize_search_document(term) if brazil.looks_like_document(term) else term
            for term in super().get_search_terms(request)
        ]


class ClientInputSerializer(RequestBodySerializer):
    labels_from = Client
    kind = serializers.ChoiceField(choices=Client.Kind.choices)
    name = serializers.CharField(max_length=200)
    document = serializers.CharField(
        max_length=30, help_text="CPF or CNPJ, with or without punctuation."
    )
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class ClientUpdateSerializer(ClientInputSerializer):
    is_active = serializers.BooleanField(required=False)


class ClientListView(GenericAPIView):
    name = _("Clients")  # the browsable API's title
    permission_classes = [model_permissions("clients.client", methods=("GET", "POST"))]
    filter_backends = [
        SearchLimits,
        FilterBackend,
        ClientSearchFilter,
        OrderingFilter,
    ]
    filterset_class = ClientFilter
    search_fields = [SEARCH]
    ordering_fields = ["name", "created_at", "updated_at", "kind"]
    ordering = ["name"]
    serializer_class = ClientInputSerializer  # the browsable API's form

    def get_queryset(self) -> Any:
        return selectors.client_list()

    @extend_schema(responses={200: ClientOutputSerializer(many=True)}, tags=["clients"])
    def get(self, request: Request) -> Response:
        return paginated(self, ClientOutputSerializer)

    @idempotent_create
    @extend_schema(
        request=ClientInputSerializer, responses={201: ClientOutputSerializer}, tags=["clients"]
    )
    def post(self, request: Request) -> Response:
        serializer = ClientInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client = services.client_create(actor=actor_of(request.user), **serializer.validated_data)
        response = render(ClientOutputSerializer, client, status.HTTP_201_CREATED)
        response["Location"] = reverse("client-detail", kwargs={"pk": client.pk})
        return response


@extend_schema(tags=["clients"])
class ClientDetailView(RetrieveMixin, UpdateMixin, DestroyMixin):
    name = _("Client")  # the browsable API's title
    permission_classes = [model_permissions("clients.client")]
    serializer_class = ClientUpdateSerializer
    output_serializer_class = ClientOutputSerializer

    def fetch(self, *, pk: uuid.UUID) -> Client:
        return selectors.client_get(client_id=pk)

    def update(
        self, *, actor: Actor, expected_version: int | None, data: dict[str, Any], pk: uuid.UUID
    ) -> Client:
        return services.client_update(
            actor=actor, client_id=pk, expected_version=expected_version, **data
        )

    def destroy(self, *, actor: Actor, expected_version: int | None, pk: uuid.UUID) -> None:
        services.client_deactivate(actor=actor, client_id=pk, expected_version=expected_version)


# --- addresses ------------------------------------------------------------------------


class AddressInputSerializer(RequestBodySerializer):
    labels_from = Address
    label = serializers.CharField(max_length=50, required=False, allow_blank=True)
    street = serializers.CharField(max_length=200)
    number = serializers.CharField(max_length=20)
    complement = serializers.CharField(max_length=100, required=False, allow_blank=True)
    district = serializers.CharField(max_length=100)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=30, help_text="UF, e.g. SP.")
    postal_code = serializers.CharField(max_length=20, help_text="CEP, 12345-678 or 12345678.")
    country = serializers.CharField(max_length=10, required=False)
    is_default = serializers.BooleanField(required=False)


class AddressListView(GenericAPIView):
    name = _("Addresses")  # the browsable API's title
    # Addresses follow their client's codes.
    permission_classes = [model_permissions("clients.client", methods=("GET", "POST"))]
    filter_backends: list[type] = []
    serializer_class = AddressInputSerializer

    def get_queryset(self) -> Any:
        return selectors.address_list(client_id=self.kwargs["pk"])

    @extend_schema(responses={200: AddressOutputSerializer(many=True)}, tags=["addresses"])
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        return paginated(self, AddressOutputSerializer)

    @idempotent_create
    @extend_schema(
        request=AddressInputSerializer, responses={201: AddressOutputSerializer}, tags=["addresses"]
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        serializer = AddressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = services.address_create(
            actor=actor_of(request.user), client_id=pk, **serializer.validated_data
        )
        response = render(AddressOutputSerializer, address, status.HTTP_201_CREATED)
        response["Location"] = reverse("address-detail", kwargs={"pk": pk, "aid": address.pk})
        return response


@extend_schema(tags=["addresses"])
class AddressDetailView(RetrieveMixin, UpdateMixin, DestroyMixin):
    name = _("Address")  # the browsable API's title
    permission_classes = [model_permissions("clients.client")]
    serializer_class = AddressInputSerializer
    output_serializer_class = AddressOutputSerializer

    def fetch(self, *, pk: uuid.UUID, aid: uuid.UUID) -> Address:
        return selectors.address_get(client_id=pk, address_id=aid)

    def update(
        self,
        *,
        actor: Actor,
        expected_version: int | None,
        data: dict[str, Any],
        pk: uuid.UUID,
        aid: uuid.UUID,
    ) -> Address:
        return services.address_update(
            actor=actor,
            client_id=pk,
            address_id=aid,
            expected_version=expected_version,
            **data,
        )

    def destroy(
        self, *, actor: Actor, expected_version: int | None, pk: uuid.UUID, aid: uuid.UUID
    ) -> None:
        services.address_delete(
            actor=actor, client_id=pk, address_id=aid, expected_version=expected_version
        )
