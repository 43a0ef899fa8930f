"""A write with a field the endpoint does not take is refused naming it (DESIGN §4), on
every write endpoint; a GET body PUT back (addresses included) still passes."""

import pytest

from clients.models import Client
from clients.tests.factories import AddressFactory, ClientFactory
from common.testing import unknown_field_answers

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


def test_every_write_endpoint_names_an_unknown_field(admin_api):
    answers = unknown_field_answers(admin_api)
    assert f"POST {CLIENTS}" in answers  # the walk sees the endpoints
    assert answers == dict.fromkeys(answers, (400, ["Unknown field."]))


def test_a_patch_with_a_misspelt_field_changes_nothing_and_says_so(admin_api):
    client = ClientFactory(name="Maria")
    response = admin_api.patch(f"{CLIENTS}{client.pk}/", {"nome": "Ana"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"nome": ["Unknown field."]},
    )
    client.refresh_from_db()
    assert (client.name, client.version) == ("Maria", 1)


def test_a_get_body_put_back_is_accepted(admin_api):
    client = ClientFactory(name="Maria")
    address = AddressFactory(client=client, city="Campinas")
    client_path = f"{CLIENTS}{client.pk}/"
    body = admin_api.get(client_path).json()
    body["name"] = "Maria da Silva"
    response = admin_api.put(client_path, body, format="json")
    assert response.status_code == 200, response.json()
    address_path = f"{client_path}addresses/{address.pk}/"
    address_body = admin_api.get(address_path).json()
    address_body["city"] = "Santos"
    response = admin_api.put(address_path, address_body, format="json")
    assert response.status_code == 200, response.json()
    client = Client.objects.get()
    assert (client.name, client.addresses.get().city) == ("Maria da Silva", "Santos")
