"""The whole chain: clients and products flow into orders_api's copies through the broker;
an order freezes what it bought."""

import time

import requests

from e2e.conftest import ADMIN_PASSWORD


def _auth(users_api):
    login = requests.post(
        f"{users_api.url}/api/v1/auth/token",
        timeout=10,
        json={"username": "admin", "password": ADMIN_PASSWORD},
    ).json()
    return {"Authorization": f"Bearer {login['access']}"}


def _wait_for(url, headers, ready, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = requests.get(url, headers=headers, timeout=10)
        if response.status_code == 200 and ready(response.json()):
            return response.json()
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become ready in {timeout} s: {response.text}")


def test_an_order_is_placed_on_copies_that_follow_the_sources(
    users_api, clients_api, products_api, orders_api
):
    auth = _auth(users_api)
    client = requests.post(
        f"{clients_api.url}/api/v1/clients/",
        headers=auth,
        timeout=10,
        json={"kind": "individual", "name": "Seu Madruga", "document": "529.982.247-25"},
    ).json()
    requests.post(
        f"{clients_api.url}/api/v1/clients/{client['id']}/addresses/",
        headers=auth,
        timeout=10,
        json={
            "street": "Vila",
            "number": "71",
            "district": "Centro",
            "city": "Acapulco",
            "state": "SP",
            "postal_code": "01001-000",
        },
    )
    product = requests.post(
        f"{products_api.url}/api/v1/products/",
        headers=auth,
        timeout=10,
        json={
            "sku": "SANDUICHE",
            "name": "Sanduíche de presunto",
            "price": "7.50",
            "max_quantity": 100,
            "stock_quantity": 50,
        },
    ).json()

    orders = orders_api.url
    copy = _wait_for(
        f"{orders}/api/v1/client-snapshots/{client['id']}/",
        auth,
        lambda body: len(body["addresses"]) == 1,
    )
    assert copy["name"] == "Seu Madruga" and copy["version"] == 2
    _wait_for(
        f"{orders}/api/v1/product-snapshots/{product['id']}/",
        auth,
        lambda body: body["price"] == "7.50",
    )

    placed = requests.post(
        f"{orders}/api/v1/orders/",
        headers=auth,
        timeout=10,
        json={"client_id": client["id"], "items": [{"product_id": product["id"], "quantity": 3}]},
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert (order["total"], order["shipping_address"]["city"]) == ("22.50", "Acapulco")

    repriced = requests.patch(
        f"{products_api.url}/api/v1/products/{product['id']}/",
        headers=auth,
        timeout=10,
        json={"price": "9.90"},
    )
    assert repriced.status_code == 200
    _wait_for(
        f"{orders}/api/v1/product-snapshots/{product['id']}/",
        auth,
        lambda body: body["price"] == "9.90",
    )
    again = requests.get(f"{orders}/api/v1/orders/{order['id']}/", headers=auth, timeout=10).json()
    assert (again["items"][0]["unit_price"], again["total"]) == ("7.50", "22.50")

    finished = requests.post(
        f"{orders}/api/v1/orders/{order['id']}/finish", headers=auth, timeout=10
    )
    assert finished.json()["status"] == "finished"
