"""A write with a field the endpoint does not take is refused naming it (DESIGN §4), on
every write endpoint; a GET body PUT back (addresses included) still passes."""

import pytest

from clients.models import Client
from clients.tests.factories import AddressFactory, ClientFactory
from common.development.testing import unknown_field_answers

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


READ_ONLY = ["Read-only field: send it unchanged or leave it out."]


def _changed_address(body):
    (address,) = body["addresses"]
    return [{**address, "city": "Santos"}]


@pytest.mark.parametrize(
    "change",
    [
        lambda body: {"addresses": _changed_address(body)},
        lambda body: {"addresses": []},
        lambda body: {"document_formatted": "000.000.000-00"},
    ],
    ids=["address-edited", "addresses-dropped", "document_formatted"],
)
def test_a_read_only_field_sent_changed_is_refused_by_name_and_nothing_changes(admin_api, change):
    client = ClientFactory(name="Maria")
    AddressFactory(client=client, city="Campinas")
    path = f"{CLIENTS}{client.pk}/"
    body = {**admin_api.get(path).json(), "name": "Ana"}
    changed = change(body)
    response = admin_api.put(path, {**body, **changed}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == dict.fromkeys(changed, READ_ONLY)
    client.refresh_from_db()
    assert (client.name, client.version) == ("Maria", body["version"])
    assert client.addresses.get().city == "Campinas"


def test_a_stale_version_in_the_body_is_ignored_and_if_match_still_decides(admin_api):
    client = ClientFactory(name="Maria")
    address = AddressFactory(client=client)
    path = f"{CLIENTS}{client.pk}/"
    got = admin_api.get(path)
    body = {**got.json(), "name": "Ana", "version": 99}
    body["addresses"][0]["version"] = 99  # a nested object's bookkeeping is not compared
    response = admin_api.put(path, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == got.json()["version"] + 1
    assert admin_api.put(path, body, format="json", HTTP_IF_MATCH=got["ETag"]).status_code == 412
    address_path = f"{path}addresses/{address.pk}/"
    address_body = {**admin_api.get(address_path).json(), "id": str(client.pk)}
    refused = admin_api.put(address_path, address_body, format="json")
    assert (refused.status_code, refused.json()["errors"]) == (400, {"id": READ_ONLY})
