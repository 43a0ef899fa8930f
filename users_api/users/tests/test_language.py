"""users_api's messages in the reader's language: sign-in and token refusals, the 429, and
every problem code it answers with."""

import pytest

from common.api.errors import ErrorCode
from common.development.testing import error_texts_not_in_portuguese
from users.errors import UserErrorCode
from users.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.default_language]

TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
REGISTER = "/api/v1/auth/register"


def test_every_code_reads_in_portuguese():
    assert error_texts_not_in_portuguese([*UserErrorCode, *ErrorCode]) == {}


def test_invalid_credentials_in_both_languages(api_client):
    UserFactory(username="ana")
    pt, en = (
        api_client.post(
            TOKEN,
            {"username": "ana", "password": "wrong"},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        ).json()
        for language in ("pt-BR", "en")
    )
    assert pt["code"] == en["code"] == "invalid_credentials"
    assert (pt["title"], pt["detail"]) == (
        "Credenciais inválidas",
        "Nenhuma conta ativa foi encontrada com estas credenciais.",
    )
    assert (en["title"], en["detail"]) == (
        "Invalid credentials",
        "No active account was found with these credentials.",
    )


def test_an_inactive_account_in_both_languages(api_client):
    UserFactory(username="ana", is_active=False)
    pt, en = (
        api_client.post(
            TOKEN,
            {"username": "ana", "password": PASSWORD},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        ).json()
        for language in ("pt-BR", "en")
    )
    assert pt["code"] == en["code"] == "user_inactive"
    assert (pt["detail"], en["detail"]) == (
        "Esta conta está desativada.",
        "This account is deactivated.",
    )


def test_token_reused_in_both_languages(api_client):
    UserFactory(username="ana")
    answers = {}
    for language in ("pt-BR", "en"):
        stolen = api_client.post(
            TOKEN, {"username": "ana", "password": PASSWORD}, format="json"
        ).json()["refresh"]
        assert api_client.post(REFRESH, {"refresh": stolen}, format="json").status_code == 200
        answers[language] = api_client.post(
            REFRESH, {"refresh": stolen}, format="json", HTTP_ACCEPT_LANGUAGE=language
        ).json()
    pt, en = answers["pt-BR"], answers["en"]
    assert pt["code"] == en["code"] == "token_reused"
    assert (pt["title"], pt["detail"]) == (
        "Token já usado",
        "Este token de renovação já foi usado; a sessão foi revogada.",
    )
    assert (en["title"], en["detail"]) == (
        "Token already used",
        "This refresh token was already used; the login has been revoked.",
    )


def test_too_many_requests_in_both_languages(api_client, settings):
    settings.REGISTER_RATE_PER_IP = "1/hour"
    payload = {"username": "u1", "email": "u1@example.com", "password": "Sabia-2-Laranjeira"}
    assert api_client.post(REGISTER, payload, format="json").status_code == 201
    pt, en = (
        api_client.post(
            REGISTER,
            {**payload, "username": f"u-{language}", "email": f"{language}@example.com"},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        for language in ("pt-BR", "en")
    )
    assert pt.status_code == en.status_code == 429
    pt, en = pt.json(), en.json()
    assert pt["code"] == en["code"] == "throttled"
    assert (pt["title"], en["title"]) == ("Requisições demais", "Too Many Requests")
    assert en["detail"].startswith("Request was throttled.")
    assert pt["detail"].startswith("Pedido foi suprimido.")  # DRF's own catalogue
