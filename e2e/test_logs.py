"""Every process logs one JSON object per line (docs/operations.md: "Operating it"), and a
request's id follows it: in the API's lines, on the response, and through the event into
the relay's and the other service's worker's lines."""

from __future__ import annotations

import json
import time

import requests

from e2e.conftest import new_cpf
from e2e.test_orders_story import _auth

REQUIRED = {"timestamp", "level", "service", "role", "logger", "message"}


def _lines(path) -> list[dict]:
    lines = []
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if not text.strip():
            continue
        try:
            lines.append(json.loads(text))
        except ValueError as exc:
            raise AssertionError(f"{path.name}:{number} is not JSON: {text!r}") from exc
    for line in lines:
        assert set(line) >= REQUIRED, line
    return lines


def test_a_requests_id_is_in_its_api_lines_and_on_its_response(users_api, clients_api):
    refused = requests.get(
        f"{clients_api.url}/api/v1/clients/", headers={"X-Request-ID": "e2e-refused-1"}, timeout=10
    )
    assert refused.status_code == 401
    assert refused.headers["X-Request-ID"] == "e2e-refused-1"
    generated = requests.get(f"{clients_api.url}/healthz", timeout=10).headers["X-Request-ID"]
    assert len(generated) == 32
    time.sleep(0.5)
    lines = _lines(clients_api.log)
    mine = [line for line in lines if line.get("request_id") == "e2e-refused-1"]
    assert mine and all(line["service"] == "clients_api" for line in mine)
    assert {line["role"] for line in lines} == {"api"}


def test_the_worker_and_relay_lines_of_an_event_name_it_in_json(users_api, clients_api, orders_api):
    auth = _auth(users_api)
    created = requests.post(
        f"{clients_api.url}/api/v1/clients/",
        headers={**auth, "X-Request-ID": "e2e-follow-me"},
        timeout=10,
        json={"kind": "individual", "name": "Chaves", "document": new_cpf()},
    )
    assert created.status_code == 201, created.text
    relay_log = clients_api.log.with_name("clients_api-relay.log")
    worker_log = orders_api.log.with_name("orders_api-worker.log")

    def published_lines():
        # By the relay, named by the event's correlation_id: the request's id.
        return [
            line
            for line in _lines(relay_log)
            if line["message"].startswith("published clients.client.created")
            and line.get("correlation_id") == "e2e-follow-me"
        ]

    deadline = time.monotonic() + 30
    while not published_lines():
        assert time.monotonic() < deadline, "the publication of the event is logged"
        time.sleep(0.5)
    (published,) = published_lines()
    event_id = published["event_id"]

    def applied_lines():
        return [
            line
            for line in _lines(worker_log)
            if line.get("event_id") == event_id and line["message"].startswith("applied")
        ]

    deadline = time.monotonic() + 30
    while not applied_lines():
        assert time.monotonic() < deadline, f"no applied line for {event_id}"
        time.sleep(0.5)
    assert applied_lines()[0]["event_type"] == "clients.client.created"
    # One grep for the request's id finds its effect in the other service too.
    assert applied_lines()[0]["correlation_id"] == "e2e-follow-me"
    assert {line["role"] for line in _lines(worker_log)} == {"worker"}
    assert {line["role"] for line in _lines(relay_log)} == {"relay"}
