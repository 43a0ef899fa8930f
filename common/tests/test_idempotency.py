"""Idempotency-Key: a retried create creates nothing new."""

import uuid

import pytest
from rest_framework.test import APIClient

from common.development.testing import access_token, run_together
from common.models import IdempotencyRecord
from common.tests.testapp.models import Widget

URL = "/api/v1/widgets/"
BODY = {"items": [{"name": "w", "quantity": 2}]}


@pytest.fixture
def client(api_client):
    token = access_token(permissions=["clients.add_client"], user_id=uuid.UUID(int=7))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response(client):
    first = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Widget.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_422(client):
    client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = {"items": [{"name": "w", "quantity": 3}]}
    response = client.post(URL, other, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Widget.objects.count() == 1


@pytest.mark.django_db
def test_without_a_key_each_post_creates(client):
    client.post(URL, BODY, format="json")
    client.post(URL, BODY, format="json")
    assert Widget.objects.count() == 2


@pytest.mark.django_db
def test_keys_are_per_caller(client, api_client):
    client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    other = access_token(permissions=["clients.add_client"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {other}")
    response = api_client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Widget.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_request_does_not_burn_the_key(client):
    bad = client.post(URL, {"items": [{"name": ""}]}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    ok = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert ok.status_code == 201


@pytest.mark.django_db
def test_a_malformed_key_is_400(client):
    response = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert Widget.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_once(client):
    token = client._credentials["HTTP_AUTHORIZATION"]

    def post():
        local = APIClient()
        local.credentials(HTTP_AUTHORIZATION=token)
        return local.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="race").status_code

    statuses = run_together([post] * 4)
    assert statuses == [201] * 4
    assert Widget.objects.count() == 1
