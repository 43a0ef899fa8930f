"""A write with a field the endpoint does not take is refused naming it (DESIGN §4), on
every write endpoint (the public ones too); a GET body sent back still passes."""

import pytest

from common.testing import unknown_field_answers
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"


def test_every_write_endpoint_names_an_unknown_field(client_with):
    admin = client_with(superuser=True)
    answers = unknown_field_answers(admin)
    assert "POST /api/v1/auth/register" in answers  # the walk sees the endpoints
    assert answers == dict.fromkeys(answers, (400, ["Unknown field."]))


def test_a_register_with_a_misspelt_field_creates_no_account(api_client):
    body = {"username": "ana", "email": "ana@example.com", "password": "Senha-Boa-2026"}
    response = api_client.post("/api/v1/auth/register", {**body, "nome": "Ana"}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"nome": ["Unknown field."]},
    )
    assert not User.objects.filter(username="ana").exists()


def test_me_patched_with_its_own_get_body_is_accepted(client_with):
    me = client_with(user=UserFactory(first_name="Ana"))
    body = me.get(ME).json()
    body["first_name"] = "Ana Maria"
    response = me.patch(ME, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["first_name"] == "Ana Maria"
    refused = me.patch(ME, {"primeiro_nome": "X"}, format="json")
    assert refused.json()["errors"] == {"primeiro_nome": ["Unknown field."]}
