"""Hostile input and a failing database, against the real processes: a clear 4xx or a 503
that heals, never a 500."""

from __future__ import annotations

import socket
import time
import uuid

import psycopg
import pytest
import requests

from e2e.browser import token
from e2e.conftest import ADMIN_PASSWORD, postgres_server, start_service

NESTED = "[" * 2000 + "]" * 2000  # 4 KB that made the json module recurse 2,000 deep

#: (service fixture, a create endpoint whose body is parsed, needs a token)
PARSING_ENDPOINTS = [
    ("users_api", "/api/v1/auth/token", False),
    ("users_api", "/api/v1/auth/register", False),
    ("users_api", "/api/v1/roles/", True),
    ("clients_api", "/api/v1/clients/", True),
    ("products_api", "/api/v1/products/", True),
    ("orders_api", "/api/v1/orders/", True),
]


@pytest.mark.parametrize(("service_name", "path", "needs_token"), PARSING_ENDPOINTS)
def test_deeply_nested_json_is_a_400_problem_everywhere(
    request, users_api, service_name, path, needs_token
):
    service = request.getfixturevalue(service_name)
    headers = {"Content-Type": "application/json"}
    if needs_token:
        headers.update(token(users_api, "admin", ADMIN_PASSWORD))
    response = requests.post(f"{service.url}{path}", data=NESTED, headers=headers, timeout=10)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "too_deeply_nested"


def _admin_sql(server: str, *statements: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _wait_for_status(url: str, status: int, timeout: float = 30.0, **kwargs) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = requests.request(url=url, timeout=10, **kwargs)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_a_database_outage_is_a_503_with_retry_after_and_heals(
    databases, deployment_env, broker_url, tmp_path
):
    server = postgres_server("the database outage test")
    database_url = databases.create("users_api_outage")
    name = database_url.rsplit("/", 1)[1]
    service = start_service(
        "users_api",
        # Throttle counters of its own: these failed sign-ins count against nobody else.
        env=dict(
            deployment_env,
            CACHE_KEY_PREFIX=f"e2e-outage-{uuid.uuid4().hex[:8]}",
            BROKER_URL=broker_url,
        ),
        database_url=database_url,
        log_dir=tmp_path,
    )
    token_url = f"{service.url}/api/v1/auth/token"
    sign_in = {"method": "POST", "json": {"username": "nobody", "password": "Wrong-Pass-1"}}
    try:
        assert requests.post(token_url, json=sign_in["json"], timeout=10).status_code == 401

        _admin_sql(
            server,
            f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
        )
        # A DRF view, and a middleware loading a session: both say "try again", not "bug".
        for response in (
            requests.post(token_url, json=sign_in["json"], timeout=10),
            requests.get(
                f"{service.url}/admin/", cookies={f"{service.name}_sessionid": "x" * 32}, timeout=10
            ),
        ):
            assert response.status_code == 503, response.text
            assert response.headers["Content-Type"] == "application/problem+json"
            assert int(response.headers["Retry-After"]) > 0
            assert response.json()["code"] == "database_unavailable"
        started = time.monotonic()
        ready = requests.get(f"{service.url}/readyz", timeout=10)
        assert time.monotonic() - started < 2.0
        assert ready.status_code == 503
        assert ready.json()["components"]["database"] == "down"

        _admin_sql(server, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert _wait_for_status(token_url, 401, **sign_in).status_code == 401
        assert requests.get(f"{service.url}/readyz", timeout=10).status_code == 200
    finally:
        _admin_sql(server, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert service.stop() == 0, service.log.read_text()


def test_connections_a_browser_opens_and_leaves_idle_do_not_stall_an_api(users_api):
    # Browsers open connections ahead of need and keep them open between pages. A
    # gunicorn sync worker accepting one waits on it, request-less, until its timeout
    # (30 s): with as many idle connections as workers, the API answered nobody. A
    # threaded worker waits for a new connection's first bytes on a thread for half a
    # second (gunicorn.conf.py; gunicorn's own 5 s made these 16 cost 15 s), then in its
    # poller.
    host, port = users_api.url.removeprefix("http://").split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(16)]
    try:
        started = time.monotonic()
        response = requests.get(f"{users_api.url}/readyz", timeout=20)
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < 3
    finally:
        for connection in idle:
            connection.close()
