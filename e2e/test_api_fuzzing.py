"""Schemathesis against every service's OpenAPI schema, with a superuser's token: no 5xx,
no status code, content type or body the schema does not promise.

Bounded (a fixed seed and at most 10 examples per operation); it runs after the
other end-to-end tests (see conftest), since it writes random data.
"""

import subprocess

import pytest
import requests

from e2e.conftest import ADMIN_PASSWORD
from scripts.harness import BIN

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


@pytest.fixture(scope="module")
def token(users_api):
    # Taken once, before fuzzing users_api's login trips its rate limit.
    response = requests.post(
        f"{users_api.url}/api/v1/auth/token",
        timeout=10,
        json={"username": "admin", "password": ADMIN_PASSWORD},
    )
    return response.json()["access"]


@pytest.mark.parametrize("service", ["users_api", "clients_api", "products_api", "orders_api"])
def test_the_api_keeps_the_promises_of_its_schema(service, request, token, tmp_path):
    url = request.getfixturevalue(service).url
    result = subprocess.run(  # from tmp_path: Schemathesis keeps a cache where it runs
        [
            str(BIN / "st"),
            "run",
            f"{url}/api/schema/?format=json",
            "--header",
            f"Authorization: Bearer {token}",
            "--max-examples",
            "10",
            "--seed",
            "20261129",
            "--checks",
            CHECKS,
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
