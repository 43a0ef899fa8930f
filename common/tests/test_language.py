"""The language of docs/api.md: Brazilian Portuguese unless the request asks for English; the JSON's
field names, codes and values stay English either way."""

import pytest
from django.conf import settings
from django.test import Client as Browser

from common.development.testing import access_token

pytestmark = [pytest.mark.django_db, pytest.mark.default_language]


@pytest.fixture
def api(api_client):
    token = access_token(permissions=["clients.add_client"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


def test_the_defaults_are_brazilian():
    assert settings.LANGUAGE_CODE == "pt-br"
    assert settings.TIME_ZONE == "America/Sao_Paulo" and settings.USE_TZ
    assert [code for code, _name in settings.LANGUAGES] == ["pt-br", "en"]


def test_problems_speak_portuguese_by_default_and_keep_english_names_and_codes(api):
    body = api.post("/api/v1/widgets/", {}, format="json").json()
    assert body["code"] == "validation_error" and body["type"].endswith("validation_error")
    assert body["title"] == "Requisição inválida"
    assert body["detail"] == "A requisição tem campos inválidos."
    assert body["errors"] == {"items": ["Este campo é obrigatório."]}
    missing = api.get("/nowhere").json()
    assert (missing["title"], missing["code"]) == ("Não encontrado", "not_found")


def test_accept_language_en_gives_english(api):
    body = api.post("/api/v1/widgets/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["title"] == "Bad Request"
    assert body["detail"] == "The request has invalid fields."
    assert body["errors"] == {"items": ["This field is required."]}


def test_the_admin_has_a_language_switch():
    browser = Browser()
    page = browser.get("/admin/login/").content.decode()
    assert '<html lang="pt-br"' in page
    assert 'action="/i18n/setlang/"' in page and '<option value="en"' in page
    switched = browser.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    assert switched.status_code == 302 and switched["Location"] == "/admin/login/"
    assert '<html lang="en"' in browser.get("/admin/login/").content.decode()
