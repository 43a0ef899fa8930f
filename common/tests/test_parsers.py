"""Request bodies nested too deeply are a 400 problem, not a RecursionError (a 500)."""

import json

import pytest

from common.api.parsers import nesting_depth
from common.development.testing import access_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api_client):
    token = access_token(permissions=["clients.add_client"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


def _post(client, body: str):
    return client.post("/api/v1/widgets/", body, content_type="application/json")


def test_two_thousand_levels_in_four_kilobytes_are_a_400_problem(client):
    body = "[" * 2000 + "]" * 2000
    assert len(body) <= 4096
    response = _post(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "too_deeply_nested"
    assert "32" in problem["detail"]


def test_an_unclosed_deep_body_is_refused_too(client):
    response = _post(client, '{"items": ' + "[" * 5000)
    assert response.status_code == 400
    assert response.json()["code"] == "too_deeply_nested"


def test_thirty_two_levels_parse_and_thirty_three_do_not(client):
    def nested(depth: int) -> str:
        # An object holding depth - 1 levels of arrays: depth levels in all.
        return json.dumps({"items": json.loads("[" * (depth - 1) + "]" * (depth - 1))})

    allowed = _post(client, nested(32))
    assert allowed.status_code == 400
    assert allowed.json()["code"] == "validation_error"  # parsed; the serializer said no
    refused = _post(client, nested(33))
    assert refused.json()["code"] == "too_deeply_nested"


def test_brackets_inside_strings_are_not_nesting(client):
    name = '[[[{{{"\\"' * 100
    response = _post(client, json.dumps({"items": [{"name": name[:50], "quantity": 1}]}))
    assert response.status_code == 201
    assert nesting_depth(json.dumps({"a": ["[" * 100, {"b": '\\"]]'}]})) == 3


def test_malformed_json_and_non_finite_numbers_stay_parse_errors(client):
    assert _post(client, '{"items": [').json()["code"] == "parse_error"
    assert _post(client, '{"items": [{"name": "a", "quantity": NaN}]}').json()["code"] == (
        "parse_error"
    )
    response = client.post(
        "/api/v1/widgets/", b'{"items": "\xff"}', content_type="application/json"
    )
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    ("text", "depth"),
    [("1", 0), ('"[[["', 0), ("[]", 1), ('{"a": [{}]}', 3), ("[[], [[]]]", 3), ("]]][", 0)],
)
def test_nesting_depth(text, depth):
    assert nesting_depth(text) == depth
