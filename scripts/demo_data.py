"""`make demo-data`: a small, realistic data set, loaded through the APIs as a user would.

Run it while `make run` is up. It logs in as the admin (created first when the
login fails and ``--create-admin`` is given), then adds two roles and two
staff users (clerks who sign in to the back office with their role's codes),
clients with addresses, products with stock and a few orders. Every
create carries an Idempotency-Key, so running it again adds nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from common.development.ports import SERVICE_PORTS  # noqa: E402

ROLES = {
    "Vendas": [
        "clients.view_client",
        "clients.add_client",
        "clients.change_client",
        "products.view_product",
        "orders.view_order",
        "orders.add_order",
        "orders.change_order",
        "orders.cancel_order",
    ],
    "Estoque": [
        "products.view_product",
        "products.add_product",
        "products.change_product",
        "products.view_stockmovement",
        "products.add_stockmovement",
    ],
}
USERS = [
    ("vendedora", "Vendas", "Vendas-Demo-2026"),
    ("estoquista", "Estoque", "Estoque-Demo-2026"),
]
CLIENTS = [
    ("individual", "Maria da Silva", "529.982.247-25", "São Paulo", "SP", "01310-100"),
    ("individual", "João Pereira", "111.444.777-35", "Recife", "PE", "50010-000"),
    ("company", "Padaria Pão Quente Ltda", "11.222.333/0001-81", "Curitiba", "PR", "80010-000"),
    ("company", "Mercadinho Bom Preço", "00.004.242/0001-53", "Natal", "RN", "59010-000"),
]
PRODUCTS = [
    ("CAFE-500G", "Café torrado 500 g", "19.90", 5, 200, 80),
    ("ACUCAR-1KG", "Açúcar refinado 1 kg", "4.79", 10, 300, 120),
    ("LEITE-1L", "Leite integral 1 L", "5.49", 24, 500, 30),
    ("PAO-FORMA", "Pão de forma", "8.90", 6, 60, 4),
    ("MANTEIGA", "Manteiga 200 g", "12.30", 5, 80, 25),
]


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        response = self.try_post(path, body, key)
        if response.status_code >= 400:
            raise SystemExit(f"POST {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else {}

    def try_post(self, path: str, body: dict[str, Any], key: str | None = None) -> Any:
        headers = dict(self.headers, **({"Idempotency-Key": key} if key else {}))
        return requests.post(f"{self.base}{path}", json=body, headers=headers, timeout=30)

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}{path}", headers=self.headers, timeout=30)

    def put(self, path: str, body: dict[str, Any], method: str = "PUT") -> None:
        response = requests.request(
            method, f"{self.base}{path}", json=body, headers=self.headers, timeout=30
        )
        if response.status_code >= 400:
            raise SystemExit(f"{method} {path} answered {response.status_code}: {response.text}")


def _login(users_url: str, username: str, password: str) -> str | None:
    response = requests.post(
        f"{users_url}/api/v1/auth/token",
        timeout=30,
        json={"username": username, "password": password},
    )
    return response.json()["access"] if response.ok else None


def _create_admin(username: str, password: str) -> None:
    env = dict(os.environ, DJANGO_SUPERUSER_PASSWORD=password)
    subprocess.run(
        [
            sys.executable,
            "users_api/manage.py",
            "createsuperuser",
            "--noinput",
            "--username",
            username,
            "--email",
            f"{username}@example.com",
        ],
        cwd=REPO,
        env=env,
        check=True,
    )


def _client(clients: Api, kind: str, name: str, document: str) -> dict[str, Any]:
    """Creates the client, or finds the one that already has this document."""
    response = clients.try_post(
        "/api/v1/clients/",
        {"kind": kind, "name": name, "document": document},
        key=f"demo-client-{document}",
    )
    if response.status_code == 400 and "document" in response.json().get("errors", {}):
        digits = "".join(c for c in document if c.isalnum())
        found = clients.get(f"/api/v1/clients/?search={digits}").json()["results"]
        if found:
            return found[0]
    if response.status_code >= 400:
        raise SystemExit(f"POST /api/v1/clients/ answered {response.status_code}: {response.text}")
    return response.json()


def _wait_for(api: Api, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while api.get(path).status_code != 200:
        if time.monotonic() > deadline:
            raise SystemExit(
                f"{path} did not appear in {timeout} s; are the relays and the "
                "orders_api worker running?"
            )
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for service, port in SERVICE_PORTS.items():
        env_port = os.environ.get(f"{service.upper()}_PORT", str(port))
        option = service.removesuffix("_api")
        parser.add_argument(f"--{option}-url", default=f"http://127.0.0.1:{env_port}")
    parser.add_argument("--admin", default=os.environ.get("DEMO_ADMIN_USERNAME", "admin"))
    parser.add_argument(
        "--password", default=os.environ.get("DEMO_ADMIN_PASSWORD", "Admin-Demo-2026")
    )
    parser.add_argument(
        "--create-admin",
        action="store_true",
        help="create the admin with this password if the login fails",
    )
    args = parser.parse_args()

    token = _login(args.users_url, args.admin, args.password)
    if token is None and args.create_admin:
        print(f"==> creating the admin {args.admin!r}", flush=True)
        _create_admin(args.admin, args.password)
        token = _login(args.users_url, args.admin, args.password)
    if token is None:
        raise SystemExit(f"cannot log in as {args.admin!r}; pass --password or --create-admin")
    users, clients = Api(args.users_url, token), Api(args.clients_url, token)
    products, orders = Api(args.products_url, token), Api(args.orders_url, token)

    print("==> roles and users", flush=True)
    role_ids = {
        name: users.post(
            "/api/v1/roles/", {"name": name, "permissions": codes}, key=f"demo-role-{name}"
        )["id"]
        for name, codes in ROLES.items()
    }
    for username, role, password in USERS:
        user = users.post(
            "/api/v1/users/",
            {"username": username, "password": password, "email": f"{username}@example.com"},
            key=f"demo-user-{username}",
        )
        users.put(f"/api/v1/users/{user['id']}/roles", {"roles": [role_ids[role]]})
        # Clerks work in the back office: staff, with their role's codes there.
        users.put(f"/api/v1/users/{user['id']}/", {"is_staff": True}, method="PATCH")

    print("==> clients with addresses", flush=True)
    client_ids = []
    for kind, name, document, city, state, cep in CLIENTS:
        client = _client(clients, kind, name, document)
        for label, number in (("Principal", "100"), ("Entrega", "250")):
            clients.post(
                f"/api/v1/clients/{client['id']}/addresses/",
                {
                    "label": label,
                    "street": "Rua das Flores",
                    "number": number,
                    "district": "Centro",
                    "city": city,
                    "state": state,
                    "postal_code": cep,
                },
                key=f"demo-address-{document}-{label}",
            )
        client_ids.append(client["id"])

    print("==> products with stock", flush=True)
    product_ids = [
        products.post(
            "/api/v1/products/",
            {
                "sku": sku,
                "name": name,
                "price": price,
                "min_quantity": low,
                "max_quantity": high,
                "stock_quantity": stock,
            },
            key=f"demo-product-{sku}",
        )["id"]
        for sku, name, price, low, high, stock in PRODUCTS
    ]

    print("==> waiting for orders_api's copies", flush=True)
    for client_id in client_ids:
        _wait_for(orders, f"/api/v1/client-snapshots/{client_id}/")
    for product_id in product_ids:
        _wait_for(orders, f"/api/v1/product-snapshots/{product_id}/")

    print("==> orders", flush=True)
    for index, client_id in enumerate(client_ids[:3]):
        items = [
            {"product_id": product_ids[(index + n) % len(product_ids)], "quantity": n + 1}
            for n in range(2)
        ]
        order = orders.post(
            "/api/v1/orders/", {"client_id": client_id, "items": items}, key=f"demo-order-{index}"
        )
        # A replayed create answers with the order as it was created: ask how it is now.
        current = orders.get(f"/api/v1/orders/{order['id']}/").json()
        if index < 2 and current["status"] == "open":
            orders.post(f"/api/v1/orders/{order['id']}/finish", {})
    print(
        f"==> done: {len(ROLES)} roles, {len(USERS)} users, {len(CLIENTS)} clients, "
        f"{len(PRODUCTS)} products, 3 orders (2 finished)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
