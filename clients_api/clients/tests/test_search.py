"""?search= and the admin's search as clerks type: without accents, in any case, by name,
document, email and by the addresses' districts and cities (common.localization.search)."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from clients.models import Client
from clients.tests.factories import AddressFactory, ClientFactory
from common.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"
ADMIN_CLIENTS = "/admin/clients/client/"


@pytest.fixture
def people():
    joao = ClientFactory(name="João da Conceição", email="joao@loja.com.br")
    AddressFactory(client=joao, district="Água Verde", city="Curitiba", state="PR")
    AddressFactory(client=joao, district="Jabaquara", city="São Paulo", is_default=False)
    maria = ClientFactory(name="Maria Souza")
    AddressFactory(client=maria, district="Boa Viagem", city="Recife", state="PE")
    return joao, maria


def _names(api, term):
    response = api.get(CLIENTS, {"search": term})
    assert response.status_code == 200, response.json()
    return [client["name"] for client in response.json()["results"]]


@pytest.mark.parametrize(
    "term",
    [
        "joao",
        "JOAO",
        "João",
        "conceicao",
        "CONCEIÇÃO",
        "sao paulo",  # a city, two words
        "'sao paulo'",
        "curitiba",
        "agua verde",  # a district
        "jabaquara",
        "joao@loja",
    ],
)
def test_the_api_finds_a_client_without_accents_in_any_case(admin_api, people, term):
    assert _names(admin_api, term) == ["João da Conceição"]


def test_each_term_must_match_and_a_term_with_no_match_finds_nothing(admin_api, people):
    assert _names(admin_api, "joao recife") == []
    assert _names(admin_api, "souza recife") == ["Maria Souza"]
    assert _names(admin_api, "boa viagem") == ["Maria Souza"]
    assert _names(admin_api, "manaus") == []


def test_a_client_two_of_whose_addresses_match_is_listed_once(admin_api):
    ana = ClientFactory(name="Ana")
    AddressFactory(client=ana, city="São Paulo")
    AddressFactory(client=ana, city="São Paulo", is_default=False)
    body = admin_api.get(CLIENTS, {"search": "sao paulo"}).json()
    assert body["count"] == 1 and [c["name"] for c in body["results"]] == ["Ana"]


def test_an_address_change_or_removal_moves_what_finds_the_client(admin_api):
    ana = ClientFactory(name="Ana")
    address = AddressFactory(client=ana, district="Centro", city="Belém", state="PA")
    assert _names(admin_api, "belem") == ["Ana"]
    url = f"{CLIENTS}{ana.pk}/addresses/{address.pk}/"
    assert admin_api.patch(url, {"city": "Maceió"}, format="json").status_code == 200
    assert _names(admin_api, "belem") == []
    assert _names(admin_api, "maceio") == ["Ana"]
    assert admin_api.delete(url).status_code == 204
    assert _names(admin_api, "maceio") == []
    assert _names(admin_api, "ana") == ["Ana"]


def test_a_renamed_client_is_found_by_its_new_name(admin_api):
    client = ClientFactory(name="Zé")
    response = admin_api.patch(f"{CLIENTS}{client.pk}/", {"name": "José Araújo"}, format="json")
    assert response.status_code == 200
    assert _names(admin_api, "araujo") == ["José Araújo"]
    assert _names(admin_api, "ze") == []


def test_a_client_created_through_the_api_is_found_at_once(admin_api):
    body = {"kind": "individual", "name": "Sebastião", "document": "529.982.247-25"}
    assert admin_api.post(CLIENTS, body, format="json").status_code == 201
    assert _names(admin_api, "sebastiao") == ["Sebastião"]
    assert _names(admin_api, "529.982.247-25") == ["Sebastião"]  # the document still


def test_a_change_of_an_address_publishes_one_event_without_the_search_text(admin_api):
    ana = ClientFactory(name="Ana")
    url = f"{CLIENTS}{ana.pk}/addresses/"
    before = OutboxEvent.objects.count()
    body = {
        "street": "Rua A",
        "number": "1",
        "district": "Centro",
        "city": "Goiânia",
        "state": "GO",
        "postal_code": "74000-000",
    }
    assert admin_api.post(url, body, format="json").status_code == 201
    events = list(OutboxEvent.objects.order_by("created_at")[before:])
    assert [event.type for event in events] == ["clients.client.updated"]
    data = events[0].envelope["data"]
    assert "search_text" not in data and data["addresses"][0]["city"] == "Goiânia"


def test_a_search_costs_no_more_queries_than_a_list(admin_api, django_assert_num_queries):
    for n in range(30):
        AddressFactory(client=ClientFactory(name=f"João {n:02d}"), city="São Paulo")
    with django_assert_num_queries(3):  # count, page, addresses
        body = admin_api.get(CLIENTS, {"search": "joao sao paulo", "limit": 30}).json()
    assert body["count"] == 30 and len(body["results"]) == 30


def test_the_admin_finds_a_client_without_accents(admin_signed_in, people):
    browser = admin_signed_in("clients.view_client")
    for term in ("joao", "CONCEICAO", "sao paulo", "agua verde", "João"):
        page = browser.get(ADMIN_CLIENTS, {"q": term}).content.decode()
        assert "João da Conceição" in page and "Maria Souza" not in page, term
    page = browser.get(ADMIN_CLIENTS, {"q": "boa viagem"}).content.decode()
    assert "Maria Souza" in page and "João da Conceição" not in page


def test_the_migration_fills_the_search_text_of_existing_clients(people):
    joao, _maria = people
    Client.objects.update(search_text="")  # as the rows were before the migration
    migration = importlib.import_module("clients.migrations.0003_client_search_text")
    fill = migration.Migration.operations[1]
    fill.code(apps, SimpleNamespace(connection=connection))
    joao.refresh_from_db()
    assert joao.search_text == joao.current_search_text()
    assert joao.search_text.split("\n") == [
        "joao da conceicao",
        joao.document,
        "joao@loja.com.br",
        "agua verde",
        "curitiba",
        "jabaquara",
        "sao paulo",
    ]
