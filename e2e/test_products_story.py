"""products_api as a stock keeper uses it: a catalogue, the ledger, no overselling, events."""

import requests

from e2e.conftest import ADMIN_PASSWORD, drain_events


def test_stock_moves_through_the_ledger_and_every_change_is_published(
    users_api, products_api, broker_url
):
    login = requests.post(
        f"{users_api.url}/api/v1/auth/token",
        timeout=10,
        json={"username": "admin", "password": ADMIN_PASSWORD},
    ).json()
    auth = {"Authorization": f"Bearer {login['access']}"}
    url = products_api.url

    created = requests.post(
        f"{url}/api/v1/products/",
        headers=auth,
        timeout=10,
        json={
            "sku": "cafe-250",
            "name": "Café 250 g",
            "price": "12.50",
            "min_quantity": 3,
            "max_quantity": 40,
            "stock_quantity": 10,
        },
    )
    assert created.status_code == 201, created.text
    product = created.json()
    moves = f"{url}/api/v1/products/{product['id']}/stock-movements/"
    taken = requests.post(
        moves,
        headers=auth,
        timeout=10,
        json={"kind": "out", "quantity": 8, "reason": "venda balcão"},
    )
    assert taken.json()["stock_quantity"] == 2
    oversold = requests.post(
        moves, headers=auth, timeout=10, json={"kind": "out", "quantity": 3, "reason": "venda"}
    )
    assert oversold.status_code == 409
    assert oversold.json()["stock_quantity"] == 2
    low = requests.get(
        f"{url}/api/v1/products/?low_stock=true&search=cafe-250", headers=auth, timeout=10
    )
    assert [p["sku"] for p in low.json()["results"]] == ["CAFE-250"]
    to_buy = requests.get(
        f"{url}/api/v1/products/reorder?search=cafe-250", headers=auth, timeout=10
    ).json()["results"]
    assert [(p["sku"], p["available"], p["suggested_quantity"]) for p in to_buy] == [
        ("CAFE-250", 2, 38)
    ]
    ledger = requests.get(moves, headers=auth, timeout=10).json()
    assert [m["delta"] for m in ledger["results"]] == [-8, 10]

    events = [e for e in drain_events(broker_url) if e["aggregate_id"] == product["id"]]
    assert [(e["type"], e["version"], e["data"]["stock_quantity"]) for e in events] == [
        ("products.product.created", 1, 10),
        ("products.product.updated", 2, 2),
        ("products.stock.low", 2, 2),  # 10 -> 2 crossed the minimum of 3
    ]
