"""Addresses: Brazilian rules, one default per client, If-Match, removal."""

import pytest
from django.db import IntegrityError

from clients.models import Address
from clients.tests.factories import AddressFactory, ClientFactory

pytestmark = pytest.mark.django_db


def _url(client, address=None):
    base = f"/api/v1/clients/{client.pk}/addresses/"
    return f"{base}{address.pk}/" if address else base


def _address(**overrides):
    body = {
        "label": "Loja",
        "street": "Rua Augusta",
        "number": "500",
        "district": "Consolação",
        "city": "São Paulo",
        "state": "sp",
        "postal_code": "01305-000",
    }
    body.update(overrides)
    return body


def test_first_address_becomes_default_and_is_normalized(admin_api):
    client = ClientFactory()
    response = admin_api.post(_url(client), _address(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["postal_code"], body["country"]) == ("SP", "01305000", "BR")
    assert body["is_default"] is True
    assert response["Location"] == _url(client, Address.objects.get())
    second = admin_api.post(_url(client), _address(label="Depósito"), format="json").json()
    assert second["is_default"] is False


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"state": "XX"}, "state"),
        ({"postal_code": "1234-567"}, "postal_code"),
        ({"postal_code": "ABCDEFGH"}, "postal_code"),
        ({"country": "Brasil"}, "country"),
        ({"street": ""}, "street"),
        ({"city": ""}, "city"),
    ],
)
def test_bad_address_fields_are_named(admin_api, overrides, field):
    client = ClientFactory()
    response = admin_api.post(_url(client), _address(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Address.objects.exists()


def test_every_wrong_address_field_is_named_at_once(admin_api):
    client = ClientFactory()
    body = _address(postal_code="1234-567", state="XX", country="Brasil")
    response = admin_api.post(_url(client), body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert set(response.json()["errors"]) == {"postal_code", "state", "country"}
    address = AddressFactory(client=client)
    changed = admin_api.patch(
        _url(client, address), {"postal_code": "ABC", "state": "ZZ"}, format="json"
    )
    assert changed.status_code == 400
    assert set(changed.json()["errors"]) == {"postal_code", "state"}
    assert Address.objects.get().postal_code == address.postal_code


def test_missing_fields_are_named(admin_api):
    response = admin_api.post(_url(ClientFactory()), {}, format="json")
    assert response.status_code == 400
    assert {"street", "number", "district", "city", "state", "postal_code"} <= set(
        response.json()["errors"]
    )


def test_a_new_default_unsets_the_old_one(admin_api):
    client = ClientFactory()
    old = AddressFactory(client=client, is_default=True)
    response = admin_api.post(_url(client), _address(is_default=True), format="json")
    assert response.status_code == 201
    old.refresh_from_db()
    assert old.is_default is False
    assert old.version == 2  # its change is visible to ETag holders
    assert Address.objects.filter(client=client, is_default=True).count() == 1
    patched = admin_api.patch(_url(client, old), {"is_default": True}, format="json")
    assert patched.json()["is_default"] is True
    assert Address.objects.get(is_default=True) == old


def test_the_database_allows_one_default_per_client(db):
    client = ClientFactory()
    AddressFactory(client=client, is_default=True)
    with pytest.raises(IntegrityError):
        AddressFactory(client=client, is_default=True)


def test_put_patch_delete_with_if_match(admin_api):
    client = ClientFactory()
    address = AddressFactory(client=client)
    url = _url(client, address)
    etag = admin_api.get(url)["ETag"]
    put = admin_api.put(url, _address(number="S/N"), format="json", HTTP_IF_MATCH=etag)
    assert put.status_code == 200
    assert put.json()["number"] == "S/N"
    assert admin_api.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert admin_api.delete(url, HTTP_IF_MATCH=put["ETag"]).status_code == 204
    assert not Address.objects.exists()
    assert admin_api.get(url).status_code == 404


def test_an_address_is_reached_only_through_its_client(admin_api):
    address = AddressFactory()
    stranger = ClientFactory()
    assert admin_api.get(_url(stranger, address)).status_code == 404
    assert admin_api.delete(_url(stranger, address)).status_code == 404
    assert (
        admin_api.get("/api/v1/clients/00000000-0000-0000-0000-000000000000/addresses/").status_code
        == 404
    )


def test_address_create_honours_idempotency_key(admin_api):
    client = ClientFactory()
    for _ in range(2):
        response = admin_api.post(
            _url(client), _address(), format="json", HTTP_IDEMPOTENCY_KEY="a-1"
        )
        assert response.status_code == 201
    assert Address.objects.count() == 1


def test_the_client_shows_its_addresses_default_first(admin_api):
    client = ClientFactory()
    AddressFactory(client=client, label="B")
    AddressFactory(client=client, label="A", is_default=True)
    body = admin_api.get(f"/api/v1/clients/{client.pk}/").json()
    assert [a["label"] for a in body["addresses"]] == ["A", "B"]
    listed = admin_api.get(_url(client)).json()
    assert listed["count"] == 2 and listed["results"][0]["label"] == "A"


def test_list_query_count_does_not_grow_with_the_page(admin_api, django_assert_num_queries):
    client = ClientFactory()
    for _ in range(12):
        AddressFactory(client=client)
    with django_assert_num_queries(3):  # client exists, count, page
        assert len(admin_api.get(f"{_url(client)}?limit=2").json()["results"]) == 2
    with django_assert_num_queries(3):
        assert len(admin_api.get(f"{_url(client)}?limit=12").json()["results"]) == 12
