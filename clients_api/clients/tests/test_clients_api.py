"""Clients: the rules both ways, conventions (ETag/If-Match, Idempotency-Key), lists."""

import pytest

from clients.models import Client
from clients.tests.factories import AddressFactory, ClientFactory, cnpj, cpf

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


def _person(**overrides):
    body = {
        "kind": "individual",
        "name": "Maria da Silva",
        "document": "529.982.247-25",
        "email": "maria@example.com",
        "phone": "(11) 91234-5678",
    }
    body.update(overrides)
    return body


def test_create_an_individual_with_a_formatted_cpf(admin_api):
    response = admin_api.post(CLIENTS, _person(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["document"] == "52998224725"
    assert body["document_formatted"] == "529.982.247-25"
    assert body["phone"] == "11912345678"
    assert body["is_active"] is True and body["version"] == 1 and body["addresses"] == []
    assert response["Location"] == f"{CLIENTS}{body['id']}/"
    assert response["ETag"] == '"1"'


def test_create_a_company_with_a_cnpj(admin_api):
    response = admin_api.post(
        CLIENTS,
        {"kind": "company", "name": "Padaria Pão Quente Ltda", "document": "11.222.333/0001-81"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["document"] == "11222333000181"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (_person(document="529.982.247-24"), "document", "check digits"),
        (_person(document="111.111.111-11"), "document", "all digits equal"),
        (_person(kind="company"), "document", "14 characters"),
        (_person(document="11.222.333/0001-81"), "document", "11 digits"),
        (_person(kind="government"), "kind", "not a valid choice"),
        (_person(name=""), "name", "blank"),
        (_person(email="not-an-email"), "email", "valid email"),
        (_person(phone="123"), "phone", "10 to 13 digits"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(admin_api, body, field, message):
    response = admin_api.post(CLIENTS, body, format="json")
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert message in " ".join(problem["errors"][field])
    assert not Client.objects.exists()


def test_a_document_belongs_to_one_client(admin_api):
    ClientFactory(document="52998224725")
    response = admin_api.post(CLIENTS, _person(document="52998224725"), format="json")
    assert response.status_code == 400
    assert "already exists" in response.json()["errors"]["document"][0]


def test_the_database_refuses_a_document_that_does_not_match_the_kind(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Client.objects.create(kind="company", name="x", document="52998224725")


def test_put_replaces_patch_changes_and_if_match_guards(admin_api):
    client = ClientFactory()
    url = f"{CLIENTS}{client.pk}/"
    etag = admin_api.get(url)["ETag"]
    put = admin_api.put(
        url, _person(document=cpf(42), name="Novo Nome"), format="json", HTTP_IF_MATCH=etag
    )
    assert put.status_code == 200, put.json()
    assert put.json()["name"] == "Novo Nome"
    assert put["ETag"] == f'"{client.version + 1}"'
    stale = admin_api.patch(url, {"name": "Velho"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["current_version"] == client.version + 1
    client.refresh_from_db()
    assert client.name == "Novo Nome"


def test_changing_kind_requires_a_matching_document(admin_api):
    client = ClientFactory()
    url = f"{CLIENTS}{client.pk}/"
    refused = admin_api.patch(url, {"kind": "company"}, format="json")
    assert refused.status_code == 400
    assert "document" in refused.json()["errors"]
    ok = admin_api.patch(url, {"kind": "company", "document": cnpj(7)}, format="json")
    assert ok.status_code == 200
    assert ok.json()["kind"] == "company"


def test_delete_deactivates_and_keeps_the_client(admin_api):
    client = ClientFactory()
    url = f"{CLIENTS}{client.pk}/"
    assert admin_api.delete(url).status_code == 204
    body = admin_api.get(url).json()
    assert body["is_active"] is False
    assert admin_api.delete(url).status_code == 204  # already inactive: nothing changes
    assert admin_api.get(url).json()["version"] == body["version"]
    reactivated = admin_api.patch(url, {"is_active": True}, format="json")
    assert reactivated.json()["is_active"] is True


def test_create_honours_idempotency_key(admin_api):
    first = admin_api.post(CLIENTS, _person(), format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    again = admin_api.post(CLIENTS, _person(), format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Client.objects.count() == 1
    other = admin_api.post(
        CLIENTS, _person(name="Outra"), format="json", HTTP_IDEMPOTENCY_KEY="c-1"
    )
    assert other.status_code == 422


def test_list_searches_filters_and_orders(admin_api):
    ana = ClientFactory(name="Ana Souza", document="52998224725", email="ana@loja.com.br")
    AddressFactory(client=ana, city="Recife", state="PE")
    bia = ClientFactory(name="Bia Lima", kind="company", document="11222333000181")
    AddressFactory(client=bia, city="São Paulo", state="SP")
    AddressFactory(client=bia, city="Santos", state="SP", is_default=False)
    ClientFactory(name="Caio Inativo", is_active=False)

    def names(query):
        response = admin_api.get(f"{CLIENTS}{query}")
        assert response.status_code == 200, response.json()
        return [c["name"] for c in response.json()["results"]]

    assert names("?search=souza") == ["Ana Souza"]
    assert names("?search=529.982.247-25") == ["Ana Souza"]  # punctuation ignored
    assert names("?search=loja.com") == ["Ana Souza"]
    assert names("?kind=company") == ["Bia Lima"]
    assert names("?is_active=false") == ["Caio Inativo"]
    assert names("?state=sp") == ["Bia Lima"]  # once, though two addresses match
    assert names("?city=recife") == ["Ana Souza"]
    assert names("?ordering=-name")[0] == "Caio Inativo"
    assert admin_api.get(f"{CLIENTS}?kind=alien").status_code == 400


def test_list_query_count_does_not_grow_with_the_page(admin_api, django_assert_num_queries):
    for _ in range(30):
        AddressFactory(client=ClientFactory())
    with django_assert_num_queries(3):  # count, page, addresses
        assert len(admin_api.get(f"{CLIENTS}?limit=2").json()["results"]) == 2
    with django_assert_num_queries(3):
        body = admin_api.get(f"{CLIENTS}?limit=30").json()
    assert len(body["results"]) == 30
    assert all(len(client["addresses"]) == 1 for client in body["results"])


def test_unknown_client_is_404(admin_api):
    response = admin_api.get(f"{CLIENTS}00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
