"""The messages common writes for people, through HTTP: Portuguese by default and for
``Accept-Language: pt-BR``, English for ``Accept-Language: en`` (docs/api.md); the codes
stay English either way."""

import json

import pytest

from common.tests.testapp.models import Widget

pytestmark = [pytest.mark.django_db, pytest.mark.default_language]

WIDGETS = "/api/v1/widgets/"


def _in_both(send):
    """``send(language)``'s problem bodies for pt-BR and en, after checking the code stays."""
    pt, en = send("pt-BR"), send("en")
    assert pt.status_code == en.status_code
    assert pt.json()["code"] == en.json()["code"]
    return pt.json(), en.json()


@pytest.fixture
def client(client_with):
    return client_with("clients.add_client", "clients.view_client", "clients.change_client")


def test_a_json_parse_error(client):
    pt, en = _in_both(
        lambda language: client.post(
            WIDGETS, '{"items": [', content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
        )
    )
    assert pt["code"] == "parse_error"
    assert pt["detail"] == "O corpo não é um JSON válido (linha 1, coluna 12)."
    assert en["detail"] == "The body is not valid JSON (line 1, column 12)."


def test_nan_is_refused_in_the_readers_language(client):
    pt, en = _in_both(
        lambda language: client.post(
            WIDGETS,
            '{"items": NaN}',
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    )
    assert pt["detail"] == "O corpo não é um JSON válido: NaN e Infinity não são números em JSON."
    assert en["detail"] == "The body is not valid JSON: NaN and Infinity are not JSON numbers."


def test_an_oversized_body_413(client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 10
    body = json.dumps({"items": []})
    pt, en = _in_both(
        lambda language: client.post(
            WIDGETS, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
        )
    )
    assert pt["code"] == "payload_too_large"
    assert (pt["title"], pt["detail"]) == (
        "Requisição grande demais",
        "O corpo da requisição tem 13 bytes; o limite é 10.",
    )
    assert (en["title"], en["detail"]) == (
        "Request Entity Too Large",
        "The request body has 13 bytes; the limit is 10.",
    )


def test_an_unsupported_media_type_415(client):
    pt, en = _in_both(
        lambda language: client.post(
            WIDGETS, "items=1", content_type="text/plain", HTTP_ACCEPT_LANGUAGE=language
        )
    )
    assert pt["code"] == "unsupported_media_type"
    assert (pt["title"], en["title"]) == ("Tipo de mídia não suportado", "Unsupported Media Type")
    assert en["detail"] == 'Unsupported media type "text/plain" in request.'
    assert pt["detail"] != en["detail"] and "text/plain" in pt["detail"]


def test_a_stale_if_match_412(client):
    widget = Widget.objects.create(name="w")
    url = f"{WIDGETS}{widget.pk}/"
    assert client.patch(url, {"quantity": 3}, format="json").status_code == 200
    pt, en = _in_both(
        lambda language: client.patch(
            url, {"quantity": 4}, format="json", HTTP_IF_MATCH='"1"', HTTP_ACCEPT_LANGUAGE=language
        )
    )
    assert pt["code"] == "precondition_failed"
    assert (pt["title"], pt["detail"]) == (
        "Pré-condição falhou",
        "O recurso está na versão 2; o If-Match indicou a versão 1.",
    )
    assert (en["title"], en["detail"]) == (
        "Precondition Failed",
        "The resource is at version 2; If-Match named version 1.",
    )


def test_an_if_match_that_is_no_version(client):
    widget = Widget.objects.create(name="w")
    pt, en = _in_both(
        lambda language: client.patch(
            f"{WIDGETS}{widget.pk}/",
            {"quantity": 4},
            format="json",
            HTTP_IF_MATCH="soon",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    )
    assert pt["detail"] == "O If-Match deve ser uma ETag desta API, como '\"3\"'; veio 'soon'."
    assert en["detail"] == "If-Match must be an ETag of this API, like '\"3\"'; got 'soon'."


def test_an_idempotency_key_reused_with_another_body_422(client):
    first = client.post(
        WIDGETS, {"items": [{"name": "a", "quantity": 1}]}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == 201
    pt, en = _in_both(
        lambda language: client.post(
            WIDGETS,
            {"items": [{"name": "b", "quantity": 1}]},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k1",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    )
    assert pt["code"] == "idempotency_key_reused"
    assert (pt["title"], pt["detail"]) == (
        "Idempotency-Key já usada",
        "Esta Idempotency-Key já foi usada com outro corpo de requisição.",
    )
    assert (en["title"], en["detail"]) == (
        "Idempotency-Key already used",
        "This Idempotency-Key was already used with a different request body.",
    )


def test_a_malformed_idempotency_key(client):
    pt, en = _in_both(
        lambda language: client.post(
            WIDGETS,
            {"items": [{"name": "a", "quantity": 1}]},
            format="json",
            HTTP_IDEMPOTENCY_KEY="x" * 300,
            HTTP_ACCEPT_LANGUAGE=language,
        )
    )
    assert pt["code"] == "invalid_idempotency_key"
    assert pt["detail"].startswith("A Idempotency-Key deve ter de 1 a ")
    assert en["detail"].startswith("Idempotency-Key must be 1 to ")


def test_without_a_preference_the_problem_is_portuguese(client):
    body = client.post(WIDGETS, '{"items": [', content_type="application/json").json()
    assert body["detail"].startswith("O corpo não é um JSON válido")
