"""Chunked request bodies (``Transfer-Encoding: chunked``, as HTTP/1.1 clients and proxies
send them) through the real gunicorn: read as sent, within the same size limit, never
taken for an empty body (issue 34)."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator

import requests

from e2e.browser import token
from e2e.conftest import ADMIN_PASSWORD

LIMIT = 1024 * 1024  # MAX_REQUEST_BODY_BYTES's default


def chunks(body: bytes, size: int = 1000) -> Iterator[bytes]:
    """``body`` in pieces: requests sends a generator chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def post_chunked(url: str, body: bytes, **headers: str) -> requests.Response:
    response = requests.post(
        url,
        data=chunks(body),
        headers={"Content-Type": "application/json", "Accept-Language": "en", **headers},
        timeout=30,
    )
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.request.headers
    return response


def test_a_chunked_body_is_read_as_sent(users_api):
    name = f"chunked-{uuid.uuid4().hex[:8]}"
    body = {"username": name, "email": f"{name}@example.com", "password": "Senha-Boa-2026"}
    response = post_chunked(f"{users_api.url}/api/v1/auth/register", json.dumps(body).encode())
    assert response.status_code == 201, response.text
    assert (response.json()["username"], response.json()["email"]) == (name, body["email"])
    role = {"name": f"Caixa {name}", "permissions": ["orders.view_order"]}
    created = post_chunked(
        f"{users_api.url}/api/v1/roles/",
        json.dumps(role).encode(),
        **token(users_api, "admin", ADMIN_PASSWORD),
    )
    assert created.status_code == 201, created.text
    assert created.json()["permissions"] == ["orders.view_order"]


def test_a_chunked_body_over_the_limit_is_a_413_problem(users_api):
    huge = json.dumps({"username": "x" * (10 * LIMIT)}).encode()  # 10 MiB
    response = post_chunked(f"{users_api.url}/api/v1/auth/register", huge)
    assert response.status_code == 413, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    # The API still answers (no worker stuck on the rest of the body).
    assert requests.get(f"{users_api.url}/healthz", timeout=10).status_code == 200


def test_chunked_malformed_json_is_a_400_problem(users_api):
    response = post_chunked(f"{users_api.url}/api/v1/auth/register", b'{"username": "ana", ')
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "parse_error"


def test_a_chunked_body_written_by_hand_on_the_socket(users_api):
    """The chunk framing itself (sizes in hex, extensions, the closing chunk), as a proxy
    may send it, without a client library's help."""
    host, port = users_api.url.removeprefix("http://").split(":")
    body = b'{"username": "", "email": "no", "password": ""}'
    framed = b"".join(
        b"%x;ext=1\r\n%s\r\n" % (len(piece), piece) for piece in (body[:10], body[10:])
    )
    request = (
        b"POST /api/v1/auth/register HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
        b"Accept-Language: en\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"%s0\r\n\r\n" % (host.encode(), framed)
    )
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while data := connection.recv(65536):
            answer += data
    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    # Each field is judged on what was sent, not reported missing.
    errors = json.loads(content)["errors"]
    assert errors["username"] == ["This field may not be blank."]
    assert errors["email"] == ["Enter a valid email address."]
