"""The typical DRF project that `make bench` measures ours against (scripts/bench_typical/)
answers the very requests of each scenario, on the services' own tables, and does the work
those requests ask for: a comparison with a project that refused them would flatter ours."""

import concurrent.futures
import json
import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import jwt
import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import bench
import harness

from common.auth import jwt_keys
from e2e.conftest import command_env, postgres_server

SERVICES = ("clients_api", "products_api", "orders_api")

# The typical project as gunicorn serves it, called in process: the requests come on
# stdin as JSON, the answers go to stdout.
_TYPICAL = """
import json, sys
sys.path.insert(0, sys.argv[1])
import django
django.setup()
from django.conf import settings
from django.test import Client

settings.ALLOWED_HOSTS.append("testserver")
answers = []
for method, path, headers, body in json.load(sys.stdin):
    extra = {f"HTTP_{key.upper().replace('-', '_')}": value for key, value in headers.items()}
    response = Client().generic(method, path, body or "", "application/json", **extra)
    answers.append([response.status_code, json.loads(response.content)])
print(json.dumps(answers))
"""


@pytest.fixture(scope="module")
def typical(tmp_path_factory):
    """The three services' databases, migrated and seeded with 3 clients and 3 products
    (and orders_api's copies of them), and a way to send requests to the typical project."""
    server = postgres_server("the typical DRF project of the bench")
    tmp = tmp_path_factory.mktemp("typical")
    keys = jwt_keys.ensure_dev_key_pair(tmp / "keys")
    suffix = uuid.uuid4().hex[:8]
    urls = {
        name: harness.create_database(server, f"e2e_typical_{name}_{suffix}") for name in SERVICES
    }
    try:
        envs = {name: command_env(tmp, url) for name, url in urls.items()}
        with concurrent.futures.ThreadPoolExecutor(len(SERVICES)) as pool:
            list(
                pool.map(
                    lambda name: harness.manage(name, "migrate", "-v", "0", env=envs[name]),
                    SERVICES,
                )
            )
        for name in ("clients_api", "products_api"):
            harness.manage(name, "seed_bench", "3", env=envs[name])
        _copy_into_orders(urls)
        env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
        env.update(
            DJANGO_SETTINGS_MODULE="bench_typical.settings",
            JWT_PUBLIC_KEY=keys.public_pem,
            **{f"BENCH_{name.upper()}_URL": url for name, url in urls.items()},
        )

        def send(requests: list[tuple]) -> list[tuple[int, object]]:
            done = subprocess.run(
                [sys.executable, "-c", _TYPICAL, str(bench.SCRIPTS.parent)],
                input=json.dumps(requests),
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            return [tuple(answer) for answer in json.loads(done.stdout)]

        yield urls, keys, send
    finally:
        for url in urls.values():
            harness.drop_database(*url.rsplit("/", 1))


def _copy_into_orders(urls: dict[str, str]) -> None:
    """orders_api's copies of the seeded clients and products, as its worker would write them."""
    with (
        psycopg.connect(urls["clients_api"]) as clients,
        psycopg.connect(urls["products_api"]) as products,
        psycopg.connect(urls["orders_api"]) as orders,
    ):
        for row in products.execute(
            "SELECT id, sku, name, price, is_active, stock_quantity, min_quantity, "
            "max_quantity, stock_quantity - reserved, version FROM products_product"
        ):
            orders.execute(
                "INSERT INTO orders_productsnapshot (id, sku, name, price, is_active, "
                "stock_quantity, min_quantity, max_quantity, available, version, synced_at, "
                "search_text) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now(), '')",
                row,
            )
        for row in clients.execute(
            "SELECT c.id, c.kind, c.name, c.document, c.email, c.phone, c.is_active, "
            "json_agg(json_build_object('id', a.id, 'street', a.street, 'city', a.city, "
            "'is_default', a.is_default) ORDER BY a.is_default DESC), c.version "
            "FROM clients_client c JOIN clients_address a ON a.client_id = c.id GROUP BY c.id"
        ):
            orders.execute(
                "INSERT INTO orders_clientsnapshot (id, kind, name, document, email, phone, "
                "is_active, addresses, version, synced_at, search_text) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, now(), '')",
                (*row[:7], json.dumps(row[7]), row[8]),
            )


def _token(keys: jwt_keys.KeyPair, user_id: str) -> str:
    """An access token as users_api issues them (the claims simplejwt checks)."""
    now = int(time.time())
    claims = {
        "token_type": "access",
        "user_id": user_id,
        "username": "bench-admin",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
        "aud": "sistema-multi-apis",
        "iss": "sistema-multi-apis/users_api",
    }
    return jwt.encode(claims, keys.private_pem, algorithm="RS256")


def _ids(url: str, query: str) -> list[str]:
    return [str(row[0]) for row in bench._sql(url, query)]


def test_the_typical_project_answers_each_scenario_as_it_asks(typical):
    urls, keys, send = typical
    user_id = str(uuid.uuid4())
    token = _token(keys, user_id)
    data = {
        "products.txt": _ids(urls["products_api"], "SELECT id FROM products_product ORDER BY sku"),
        "clients.txt": _ids(urls["orders_api"], "SELECT id FROM orders_clientsnapshot"),
        "search_terms.txt": ["Bench%200002"],  # no document holds 0002
    }
    scenarios = {scenario.name: scenario for scenario in bench.SCENARIOS}
    writes = [
        scenarios[name].request(1, data, token) for name in ("orders_create", "stock_movement")
    ]
    (created_status, order), (moved_status, movement) = send(writes)

    assert created_status == 201, order
    assert order["number"] > 0 and order["status"] == "open"
    assert order["created_by"] == user_id
    prices = dict(
        bench._sql(urls["orders_api"], "SELECT id::text, price FROM orders_productsnapshot")
    )
    [stored] = bench._sql(
        urls["orders_api"],
        "SELECT total, client_name FROM orders_order WHERE id = %s",
        (order["id"],),
    )
    assert [item["product_id"] for item in order["items"]] == data["products.txt"]
    for item in order["items"]:
        assert Decimal(item["unit_price"]) == prices[item["product_id"]]
        assert item["sku"].startswith("BENCH-") and item["product_name"].startswith("Produto")
    assert stored == (sum(prices.values()), order["client_name"])
    assert order["shipping_address"]["is_default"] is True

    assert moved_status == 201, movement
    [(stock,)] = bench._sql(
        urls["products_api"],
        "SELECT stock_quantity FROM products_product WHERE id = %s",
        (movement["product"],),
    )
    assert movement["quantity_after"] == movement["quantity_before"] + movement["delta"] == stock
    assert abs(movement["delta"]) == 1 and movement["created_by"] == user_id

    data["orders.txt"] = [order["id"]]
    reads = [
        scenarios[name].request(1, data, token)
        for name in ("order_detail", "products_list", "clients_search")
    ]
    (detail_status, detail), (list_status, page), (search_status, found) = send(reads)
    assert detail_status == 200 and detail == order
    assert list_status == 200 and page["count"] == 3
    names = [product["name"] for product in page["results"]]
    assert names == sorted(names)
    assert search_status == 200 and found["count"] == 1
    assert found["results"][0]["name"] == "Cliente Bench 0002"
    assert len(found["results"][0]["addresses"]) == 2


def test_the_typical_project_refuses_a_request_without_a_token(typical):
    _, _, send = typical
    products_list = next(s for s in bench.SCENARIOS if s.name == "products_list")
    method, path, _, body = products_list.request(0, {"products.txt": [], "clients.txt": []}, "")
    [(status, answer)] = send([(method, path, {}, body)])
    assert status == 401, answer
