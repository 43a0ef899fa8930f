"""The output shapes clients_api's views share (docs/api.md)."""

from __future__ import annotations

from rest_framework import serializers

from common.api.fields import UTCDateTimeField


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


# A client with its addresses: render one whose addresses are prefetched (selectors'
# client_get, or what a service returns). A comment: the schema would show a docstring.
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
