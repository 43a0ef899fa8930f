"""`make demo-data` loads its data set through the running APIs, and a second run adds nothing."""

import subprocess
import sys

import requests

from e2e.conftest import ADMIN_PASSWORD
from scripts.harness import REPO


def _count(url, token, path):
    response = requests.get(
        f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return response.json()["count"]


def test_demo_data_loads_once(users_api, clients_api, products_api, orders_api):
    command = [
        sys.executable,
        "scripts/demo_data.py",
        "--users-url",
        users_api.url,
        "--clients-url",
        clients_api.url,
        "--products-url",
        products_api.url,
        "--orders-url",
        orders_api.url,
        "--admin",
        "admin",
        "--password",
        ADMIN_PASSWORD,
    ]
    token = requests.post(
        f"{users_api.url}/api/v1/auth/token",
        timeout=10,
        json={"username": "admin", "password": ADMIN_PASSWORD},
    ).json()["access"]
    before = {
        path: _count(url, token, path)
        for url, path in (
            (clients_api.url, "/api/v1/clients/"),
            (products_api.url, "/api/v1/products/"),
            (orders_api.url, "/api/v1/orders/"),
        )
    }
    first = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "==> done" in first.stdout
    after_first = {
        path: _count(url, token, path)
        for url, path in (
            (clients_api.url, "/api/v1/clients/"),
            (products_api.url, "/api/v1/products/"),
            (orders_api.url, "/api/v1/orders/"),
        )
    }
    second = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert second.returncode == 0, second.stdout + second.stderr
    after_second = {
        path: _count(url, token, path)
        for url, path in (
            (clients_api.url, "/api/v1/clients/"),
            (products_api.url, "/api/v1/products/"),
            (orders_api.url, "/api/v1/orders/"),
        )
    }
    assert after_second == after_first
    grown = {path: after_first[path] - before[path] for path in before}
    assert grown["/api/v1/products/"] == 5 and grown["/api/v1/orders/"] == 3
    assert grown["/api/v1/clients/"] >= 2  # some demo documents may exist from other tests
    seller = requests.post(
        f"{users_api.url}/api/v1/auth/token",
        timeout=10,
        json={"username": "vendedora", "password": "Vendas-Demo-2026"},
    ).json()["access"]
    assert (
        requests.get(
            f"{products_api.url}/api/v1/products/?limit=1",
            timeout=10,
            headers={"Authorization": f"Bearer {seller}"},
        ).status_code
        == 200
    )
    assert (
        requests.post(
            f"{products_api.url}/api/v1/products/",
            timeout=10,
            json={},
            headers={"Authorization": f"Bearer {seller}"},
        ).status_code
        == 403
    )
    # The clerks are staff: they sign in to the back office with their role's codes.
    # (Production cookies are Secure: requests keeps them off plain HTTP, so they are
    # sent by hand here; a browser allows them on 127.0.0.1.)
    login = f"{orders_api.url}/admin/login/"
    csrf = requests.get(login, timeout=10).cookies["orders_api_csrftoken"]
    signed_in = requests.post(
        login,
        data={
            "username": "vendedora",
            "password": "Vendas-Demo-2026",
            "csrfmiddlewaretoken": csrf,
            "next": "/admin/",
        },
        headers={"Cookie": f"orders_api_csrftoken={csrf}", "Referer": login},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[-2000:]
    assert signed_in.headers["Location"] == "/admin/"
    session = signed_in.cookies["orders_api_sessionid"]
    index = requests.get(
        f"{orders_api.url}/admin/",
        headers={"Cookie": f"orders_api_sessionid={session}"},
        timeout=10,
    )
    assert "/admin/orders/order/add/" in index.text  # the Vendas role places orders
