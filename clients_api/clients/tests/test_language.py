"""clients_api's messages in the reader's language: documents, CEP and UF refused in
Portuguese by default and for pt-BR, in English for ``Accept-Language: en``."""

import re

import pytest

from clients.tests.factories import ClientFactory
from clients.tests.test_addresses_api import _address
from clients.tests.test_clients_api import CLIENTS, _person
from common.api.errors import ErrorCode
from common.development.testing import error_texts_not_in_portuguese

pytestmark = [pytest.mark.django_db, pytest.mark.default_language]


def test_every_code_reads_in_portuguese():
    # clients_api has no codes of its own: its refusals are validation errors.
    assert error_texts_not_in_portuguese(ErrorCode) == {}


def _field_messages(send):
    pt, en = send("pt-BR").json(), send("en").json()
    assert pt["code"] == en["code"] == "validation_error"
    assert (pt["title"], en["title"]) == ("Requisição inválida", "Bad Request")
    return pt["errors"], en["errors"]


@pytest.mark.parametrize(
    ("body", "field", "pt", "en"),
    [
        (
            _person(document="529.982.247-24"),
            "document",
            "Este CPF não é válido: os dígitos verificadores não conferem.",
            "This CPF is not valid: its check digits do not match.",
        ),
        (
            _person(document="1234"),
            "document",
            "Um CPF tem 11 dígitos (ex.: 123.456.789-09).",
            "A CPF has 11 digits (e.g. 123.456.789-09).",
        ),
        (
            _person(kind="company", document="11.111.111/1111-11"),
            "document",
            "Um CNPJ não pode ter todos os caracteres iguais.",
            "A CNPJ cannot have all characters equal.",
        ),
        (
            _person(phone="123"),
            "phone",
            "Um telefone tem de 10 a 13 dígitos com o DDD, ex.: (11) 91234-5678.",
            "A phone has 10 to 13 digits with the area code, e.g. (11) 91234-5678.",
        ),
    ],
)
def test_client_fields_in_both_languages(admin_api, body, field, pt, en):
    pt_errors, en_errors = _field_messages(
        lambda language: admin_api.post(CLIENTS, body, format="json", HTTP_ACCEPT_LANGUAGE=language)
    )
    assert (pt_errors[field], en_errors[field]) == ([pt], [en])


@pytest.mark.parametrize(
    ("overrides", "field", "pt", "en"),
    [
        (
            {"postal_code": "0130"},
            "postal_code",
            "Um CEP tem 8 dígitos (ex.: 01310-100).",
            "A CEP has 8 digits (e.g. 01310-100).",
        ),
        (
            {"postal_code": "00000-000"},
            "postal_code",
            "00000-000 não é um CEP.",
            "00000-000 is not a CEP.",
        ),
        (
            {"state": "XX"},
            "state",
            "'XX' não é uma UF do Brasil; use uma destas: AC, AL,",
            "'XX' is not a Brazilian state; use one of AC, AL,",
        ),
    ],
)
def test_address_fields_in_both_languages(admin_api, overrides, field, pt, en):
    client = ClientFactory()
    pt_errors, en_errors = _field_messages(
        lambda language: admin_api.post(
            f"{CLIENTS}{client.pk}/addresses/",
            _address(**overrides),
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    )
    assert pt_errors[field][0].startswith(pt) and en_errors[field][0].startswith(en)


def test_an_unknown_address_in_both_languages(admin_api):
    client = ClientFactory()
    url = f"{CLIENTS}{client.pk}/addresses/00000000-0000-0000-0000-000000000000/"
    pt, en = (
        admin_api.delete(url, HTTP_ACCEPT_LANGUAGE=language).json() for language in ("pt-BR", "en")
    )
    assert pt["code"] == en["code"] == "not_found"
    assert pt["detail"] == "Este cliente não tem endereço com este id."
    assert en["detail"] == "This client has no address with this id."


def test_the_browsable_api_titles_its_pages_in_the_readers_language(admin_api):
    html = {"HTTP_ACCEPT": "text/html"}
    pt = admin_api.get(CLIENTS, HTTP_ACCEPT_LANGUAGE="pt-BR", **html).content.decode()
    en = admin_api.get(CLIENTS, HTTP_ACCEPT_LANGUAGE="en", **html).content.decode()
    assert "<h1>Clientes</h1>" in pt and "Client List" not in pt
    assert "<h1>Clients</h1>" in en
    # The first breadcrumb is the API's root, in the reader's language too.
    assert ">Raiz da API</a>" in pt and "Api Root" not in pt
    assert ">API root</a>" in en


def test_the_browsable_apis_form_labels_follow_the_readers_language(admin_signed_in):
    browser = admin_signed_in("clients.view_client", "clients.add_client")
    html = {"HTTP_ACCEPT": "text/html"}
    pt = browser.get(CLIENTS, HTTP_ACCEPT_LANGUAGE="pt-BR", **html).content.decode()
    en = browser.get(CLIENTS, HTTP_ACCEPT_LANGUAGE="en", **html).content.decode()
    labels = re.compile(r'<label class="col-sm-2 control-label[^"]*"[^>]*>\s*(.*?)\s*</label>')
    assert {"Tipo", "Nome", "Documento", "Telefone"} <= set(labels.findall(pt))
    assert {"Kind", "Name", "Document", "Phone"} <= set(labels.findall(en))


def test_the_browsable_apis_sign_in_hint_is_one_sentence_in_each_language(api_client):
    html = {"HTTP_ACCEPT": "text/html"}
    pt = api_client.get(CLIENTS, HTTP_ACCEPT_LANGUAGE="pt-BR", **html).content.decode()
    en = api_client.get(CLIENTS, HTTP_ACCEPT_LANGUAGE="en", **html).content.decode()
    assert "</a> com sua conta do back office para usar a API aqui." in pt
    assert ">Acesse</a>" in pt and "with your back-office account" not in pt
    assert ">Log in</a> with your back-office account to use the API here." in en
