"""Nothing assumes a single process: what one replica does, the other sees.

Each test talks to the two replicas of an API directly (not through HAProxy), so the
requests are known to land on different processes.
"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from cluster_tests.cluster import ADMIN_PASSWORD


def _auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def _create_order(url: str, token: str, catalog, key: str | None = None) -> requests.Response:
    headers = _auth(token, **({"Idempotency-Key": key} if key else {}))
    return requests.post(
        f"{url}/api/v1/orders/",
        json={
            "client_id": catalog.clients[0],
            "items": [{"product_id": catalog.products[0], "quantity": 1}],
        },
        headers=headers,
        timeout=30,
    )


def _orders_of(url: str, token: str, client: str) -> int:
    response = requests.get(
        f"{url}/api/v1/orders/",
        params={"client_id": client, "limit": 1},
        headers=_auth(token),
        timeout=10,
    )
    return response.json()["count"]


def test_the_pieces_are_the_real_ones(cluster):
    """Three RabbitMQ nodes in one cluster with quorum queues; two replicas of each API UP
    behind HAProxy; every service's role reaches only its own database."""
    assert cluster.rabbitmq.running_nodes() == set(cluster.rabbitmq.nodes)
    types = cluster.rabbitmq.queue_types()
    assert types["orders_api.events"] == "quorum"
    assert types["products_api.events"] == "quorum"
    servers = cluster.haproxy_servers()
    assert len(servers) == 8 and set(servers.values()) == {"UP"}
    clients_db = cluster.postgres.databases["clients_api"]
    orders_url = cluster.postgres.direct_url("orders_api")
    foreign = re.sub(r"//[^@]+@", f"//{clients_db.role}:{clients_db.password}@", orders_url)
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(foreign, connect_timeout=5).close()
    psycopg.connect(cluster.postgres.direct_url("clients_api"), connect_timeout=5).close()


def test_one_idempotency_key_on_two_replicas_creates_one_order(cluster, token, catalog):
    api = cluster.apis["orders_api"]
    key = str(uuid.uuid4())
    before = _orders_of(api.url, token, catalog.clients[0])
    with ThreadPoolExecutor(4) as pool:
        responses = list(
            pool.map(
                lambda index: _create_order(api.replica_url(index % 2), token, catalog, key),
                range(4),
            )
        )
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 3
    assert _orders_of(api.url, token, catalog.clients[0]) == before + 1


def test_order_numbers_are_unique_and_increase_across_replicas(cluster, token, catalog):
    api = cluster.apis["orders_api"]
    numbers = []
    for index in range(6):
        response = _create_order(api.replica_url(index % 2), token, catalog)
        assert response.status_code == 201, response.text
        numbers.append(response.json()["number"])
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    with ThreadPoolExecutor(6) as pool:
        responses = list(
            pool.map(
                lambda index: _create_order(api.replica_url(index % 2), token, catalog), range(12)
            )
        )
    concurrent = [r.json()["number"] for r in responses if r.status_code == 201]
    assert len(concurrent) == 12
    assert len(set(concurrent)) == 12 and min(concurrent) > max(numbers)


def test_an_admin_session_opened_on_one_replica_works_on_the_other(cluster):
    api = cluster.apis["clients_api"]
    # Production cookies are Secure; over plain HTTP the test hands them over itself.
    login = requests.get(f"{api.replica_url(0)}/admin/login/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    signed_in = requests.post(
        f"{api.replica_url(0)}/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": csrf,
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "next": "/admin/",
        },
        cookies={"clients_api_csrftoken": login.cookies["clients_api_csrftoken"]},
        allow_redirects=False,
        timeout=20,
    )
    assert signed_in.status_code == 302, signed_in.text[:2000]
    session = {"clients_api_sessionid": signed_in.cookies["clients_api_sessionid"]}
    other = requests.get(
        f"{api.replica_url(1)}/admin/", cookies=session, allow_redirects=False, timeout=10
    )
    assert other.status_code == 200
    assert "/admin/logout/" in other.text
    stranger = requests.get(f"{api.replica_url(1)}/admin/", allow_redirects=False, timeout=10)
    assert stranger.status_code == 302  # without the session: the sign-in page


def test_sign_in_throttling_counts_across_replicas(cluster):
    """Hammer one replica until it throttles; the other throttles the same account at
    once (a per-process count would still let it try)."""
    api = cluster.apis["users_api"]
    account = f"throttle-{uuid.uuid4().hex[:8]}"

    def attempt(index: int) -> requests.Response:
        return requests.post(
            f"{api.replica_url(index)}/api/v1/auth/token",
            json={"username": account, "password": "wrong-password"},
            timeout=10,
        )

    refused = 0
    while (response := attempt(0)).status_code == 401 and refused < 100:
        refused += 1
    assert response.status_code == 429 and refused > 0, response.text
    assert attempt(1).status_code == 429
