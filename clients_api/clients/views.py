"""HTTP layer of clients_api: parse input, call a service or selector, render output."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import filters, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from clients import brazil, selectors, services
from clients.models import Address, Client
from common.actors import actor_of
from common.auth import model_permissions
from common.fields import UTCDateTimeField
from common.idempotency import idempotent_create
from common.pagination import paginated
from common.versioning import expected_version, with_etag

# --- output shapes --------------------------------------------------------------------


class AddressOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    label = serializers.CharField()
    street = serializers.CharField()
    number = serializers.CharField()
    complement = serializers.CharField()
    district = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    is_default = serializers.BooleanField()
    version = serializers.IntegerField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


class ClientOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    name = serializers.CharField()
    document = serializers.CharField(help_text="Digits (CPF) or characters (CNPJ), no punctuation.")
    document_formatted = serializers.CharField(source="formatted_document")
    email = serializers.CharField()
    phone = serializers.CharField()
    is_active = serializers.BooleanField()
    version = serializers.IntegerField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    addresses = AddressOutputSerializer(many=True, source="addresses.all")


def _client_response(client: Client, status_code: int = status.HTTP_200_OK) -> Response:
    client = selectors.client_get(client_id=client.pk)
    return with_etag(
        Response(ClientOutputSerializer(client).data, status=status_code), client.version
    )


def _address_response(address: Address, status_code: int = status.HTTP_200_OK) -> Response:
    address.refresh_from_db()
    return with_etag(
        Response(AddressOutputSerializer(address).data, status=status_code), address.version
    )


# --- clients --------------------------------------------------------------------------


class ClientFilter(django_filters.FilterSet):
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
    """``?search=`` over name, document and email; 123.456.789-09 finds 12345678909."""

    def get_search_terms(self, request: Request) -> list[str]:
        return [
            brazil.normalize_search_document(term) if brazil.looks_like_document(term) else term
            for term in super().get_search_terms(request)
        ]


class ClientInputSerializer(serializers.Serializer):
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
    permission_classes = [model_permissions("clients.client", methods=("GET", "POST"))]
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        ClientSearchFilter,
        filters.OrderingFilter,
    ]
    filterset_class = ClientFilter
    search_fields = ["name", "document", "email"]
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
        response = _client_response(client, status.HTTP_201_CREATED)
        response["Location"] = reverse("client-detail", kwargs={"pk": client.pk})
        return response


class ClientDetailView(GenericAPIView):
    permission_classes = [model_permissions("clients.client")]
    serializer_class = ClientUpdateSerializer

    @extend_schema(responses={200: ClientOutputSerializer}, tags=["clients"])
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        return _client_response(selectors.client_get(client_id=pk))

    def _update(self, request: Request, pk: uuid.UUID, *, partial: bool) -> Response:
        serializer = ClientUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        client = services.client_update(
            actor=actor_of(request.user),
            client_id=pk,
            expected_version=expected_version(request),
            **serializer.validated_data,
        )
        return _client_response(client)

    @extend_schema(
        request=ClientUpdateSerializer, responses={200: ClientOutputSerializer}, tags=["clients"]
    )
    def put(self, request: Request, pk: uuid.UUID) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        request=ClientUpdateSerializer, responses={200: ClientOutputSerializer}, tags=["clients"]
    )
    def patch(self, request: Request, pk: uuid.UUID) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(responses={204: None}, tags=["clients"])
    def delete(self, request: Request, pk: uuid.UUID) -> Response:
        services.client_deactivate(
            actor=actor_of(request.user), client_id=pk, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- addresses ------------------------------------------------------------------------


class AddressInputSerializer(serializers.Serializer):
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
        response = _address_response(address, status.HTTP_201_CREATED)
        response["Location"] = reverse("address-detail", kwargs={"pk": pk, "aid": address.pk})
        return response


class AddressDetailView(GenericAPIView):
    permission_classes = [model_permissions("clients.client")]
    serializer_class = AddressInputSerializer

    @extend_schema(responses={200: AddressOutputSerializer}, tags=["addresses"])
    def get(self, request: Request, pk: uuid.UUID, aid: uuid.UUID) -> Response:
        return _address_response(selectors.address_get(client_id=pk, address_id=aid))

    def _update(
        self, request: Request, pk: uuid.UUID, aid: uuid.UUID, *, partial: bool
    ) -> Response:
        serializer = AddressInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        address = services.address_update(
            actor=actor_of(request.user),
            client_id=pk,
            address_id=aid,
            expected_version=expected_version(request),
            **serializer.validated_data,
        )
        return _address_response(address)

    @extend_schema(
        request=AddressInputSerializer, responses={200: AddressOutputSerializer}, tags=["addresses"]
    )
    def put(self, request: Request, pk: uuid.UUID, aid: uuid.UUID) -> Response:
        return self._update(request, pk, aid, partial=False)

    @extend_schema(
        request=AddressInputSerializer, responses={200: AddressOutputSerializer}, tags=["addresses"]
    )
    def patch(self, request: Request, pk: uuid.UUID, aid: uuid.UUID) -> Response:
        return self._update(request, pk, aid, partial=True)

    @extend_schema(responses={204: None}, tags=["addresses"])
    def delete(self, request: Request, pk: uuid.UUID, aid: uuid.UUID) -> Response:
        services.address_delete(
            actor=actor_of(request.user),
            client_id=pk,
            address_id=aid,
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
