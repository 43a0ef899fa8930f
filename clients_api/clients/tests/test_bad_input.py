"""Bad input gets a 4xx problem naming what is wrong; never a 500."""

import json

import pytest

from clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body",
    [
        '{"kind": "individual",',
        "[1, 2, 3]",
        '"just a string"',
        '{"kind": ["individual"], "name": {"a": 1}, "document": 52998224725}',
        '{"kind": "individual", "name": "' + "x" * 300 + '", "document": "52998224725"}',
        '{"kind": "individual", "name": "A", "document": "' + "9" * 40 + '"}',
        '{"kind": null, "name": null, "document": null}',
    ],
)
def test_malformed_and_wrongly_typed_bodies_are_4xx(admin_api, body):
    response = admin_api.post("/api/v1/clients/", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"


def test_ten_megabytes_is_413(admin_api):
    body = json.dumps(
        {"kind": "individual", "name": "x" * (10 * 1024 * 1024), "document": "52998224725"}
    )
    response = admin_api.post("/api/v1/clients/", body, content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/clients/not-a-uuid/",
        "/api/v1/clients/{id}/addresses/not-a-uuid/",
        "/api/v1/clients/{id}/addresses/00000000-0000-0000-0000-000000000000/",
    ],
)
def test_unknown_ids_are_404(admin_api, url):
    client = ClientFactory()
    assert admin_api.get(url.format(id=client.pk)).status_code == 404


@pytest.mark.parametrize(
    "query",
    ["?limit=abc", "?offset=-5", "?ordering=secret_field", "?kind=alien", "?is_active=perhaps"],
)
def test_odd_query_strings_never_500(admin_api, query):
    assert admin_api.get(f"/api/v1/clients/{query}").status_code in (200, 400)
