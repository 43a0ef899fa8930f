"""The multi-node deployment on this machine (cluster.py), once for the session.

Needs PostgreSQL (``E2E_POSTGRES_URL``) and Redis (``CACHE_URL``, the replicas' shared
cache), both set by `make test` when they answer, and the
binaries of HAProxy, PgBouncer and RabbitMQ (scripts/run_tests.py installs Debian's
when it can). Without them the tests are skipped with the reason; under ``CI=true``
they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from cluster_tests import cluster as deployment
from cluster_tests.cluster import ADMIN_PASSWORD, Cluster
from common.development.testing import unavailable
from scripts.harness import wait_until

INITIAL_STOCK = 100_000


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    missing = deployment.missing_tools()
    if missing:
        unavailable(
            f"the cluster tests need {', '.join(missing)} (Debian: apt-get install haproxy "
            "pgbouncer rabbitmq-server; `make test` installs them when run as root)"
        )
    server = os.environ.get("E2E_POSTGRES_URL", "")
    if not server:
        unavailable("the cluster tests need PostgreSQL (E2E_POSTGRES_URL)")
    if not os.environ.get("CACHE_URL"):
        unavailable("the cluster tests need Redis (CACHE_URL): replicas share its cache")
    running = deployment.start(tmp_path_factory.mktemp("cluster"), server)
    yield running
    running.stop()
    running.postgres.drop()


@pytest.fixture(scope="session")
def token(cluster) -> str:
    response = requests.post(
        f"{cluster.apis['users_api'].url}/api/v1/auth/token",
        json={"username": "admin", "password": ADMIN_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access"]


@dataclass
class Catalog:
    """Clients and products created through HAProxy, already copied into orders_api."""

    clients: list[str]
    products: list[str]


def _wait_for_copy(cluster: Cluster, headers: dict, kind: str, id_: str, version: int) -> None:
    url = f"{cluster.apis['orders_api'].url}/api/v1/{kind}-snapshots/{id_}/"

    def copied() -> bool:
        response = requests.get(url, headers=headers, timeout=5)
        return response.status_code == 200 and response.json()["version"] >= version

    wait_until(copied, 60, f"orders_api's copy of {kind} {id_} at v{version}")


def _cpf(seed: int) -> str:
    digits = [int(d) for d in f"{seed:09d}"[-9:]]
    for length in (9, 10):
        total = sum(d * (length + 1 - i) for i, d in enumerate(digits[:length]))
        digits.append((total * 10) % 11 % 10)
    return "".join(map(str, digits))


@pytest.fixture(scope="session")
def catalog(cluster, token) -> Catalog:
    headers = {"Authorization": f"Bearer {token}"}
    clients, products = [], []
    for index in range(5):
        response = requests.post(
            f"{cluster.apis['clients_api'].url}/api/v1/clients/",
            json={
                "kind": "individual",
                "name": f"Cluster client {index}",
                "document": _cpf(int(uuid.uuid4().int % 10**9)),
                "email": f"client{index}@example.com",
            },
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        clients.append(response.json()["id"])
        response = requests.post(
            f"{cluster.apis['products_api'].url}/api/v1/products/",
            json={
                "sku": f"CLUSTER-{index}-{uuid.uuid4().hex[:6]}",
                "name": f"Cluster product {index}",
                "price": "10.00",
                "stock_quantity": INITIAL_STOCK,
                "min_quantity": 0,
                "max_quantity": 10 * INITIAL_STOCK,
            },
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        products.append(response.json()["id"])
    for client in clients:
        _wait_for_copy(cluster, headers, "client", client, 1)
    for product in products:
        _wait_for_copy(cluster, headers, "product", product, 1)
    return Catalog(clients, products)
