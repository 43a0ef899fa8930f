"""clients_api as a client uses it: a users_api login, clients with addresses, events out."""

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from e2e.conftest import ADMIN_PASSWORD, drain_events


def _login(url, username, password):
    response = requests.post(
        f"{url}/api/v1/auth/token", timeout=10, json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access']}"}


def test_a_users_api_login_works_at_clients_api_and_every_change_is_published(
    users_api, clients_api, broker_url
):
    admin = _login(users_api.url, "admin", ADMIN_PASSWORD)
    role = requests.post(
        f"{users_api.url}/api/v1/roles/",
        headers=admin,
        timeout=10,
        json={"name": "Cadastro", "permissions": ["clients.view_client", "clients.add_client"]},
    )
    assert role.status_code == 201, role.text
    user = requests.post(
        f"{users_api.url}/api/v1/users/",
        headers=admin,
        timeout=10,
        json={"username": "dani", "email": "dani@example.com", "password": "Dani-Senha-2026"},
    ).json()
    requests.put(
        f"{users_api.url}/api/v1/users/{user['id']}/roles",
        headers=admin,
        timeout=10,
        json={"roles": [role.json()["id"]]},
    )
    dani = _login(users_api.url, "dani", "Dani-Senha-2026")
    url = clients_api.url

    created = requests.post(
        f"{url}/api/v1/clients/",
        headers=dani,
        timeout=10,
        json={"kind": "company", "name": "Mercadinho Bom Preço", "document": "11.222.333/0001-81"},
    )
    assert created.status_code == 201, created.text
    client_id = created.json()["id"]
    for number, default in (("10", False), ("20", True)):
        address = requests.post(
            f"{url}/api/v1/clients/{client_id}/addresses/",
            headers=dani,
            timeout=10,
            json={
                "street": "Rua do Comércio",
                "number": number,
                "district": "Centro",
                "city": "Recife",
                "state": "PE",
                "postal_code": "50010-000",
                "is_default": default,
            },
        )
        assert address.status_code == 201, address.text
    shown = requests.get(f"{url}/api/v1/clients/{client_id}/", headers=dani, timeout=10).json()
    assert [a["number"] for a in shown["addresses"]] == ["20", "10"]
    refused = requests.delete(f"{url}/api/v1/clients/{client_id}/", headers=dani, timeout=10)
    assert refused.status_code == 403

    token = dani["Authorization"].split()[1]
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        dict(jwt.decode(token, options={"verify_signature": False}), is_superuser=True),
        forger,
        algorithm="RS256",
    )
    assert (
        requests.delete(
            f"{url}/api/v1/clients/{client_id}/",
            timeout=10,
            headers={"Authorization": f"Bearer {forged}"},
        ).status_code
        == 401
    )

    ready = requests.get(f"{url}/readyz", timeout=10).json()
    assert {check["name"]: check["ok"] for check in ready["checks"]} == {
        "database": True,
        "broker": True,
        "outbox": True,
        "convergence": True,
        "consumer": True,  # it consumes users_api's user events (revocations)
    }

    events = [e for e in drain_events(broker_url) if e["aggregate_id"] == client_id]
    # An update still waiting in the outbox when the next one is recorded is replaced
    # by it (docs/events.md): v2 may travel folded into v3, never after it or lost.
    created, update_2, update_3 = (
        ("clients.client.created", 1),
        ("clients.client.updated", 2),
        ("clients.client.updated", 3),
    )
    assert [(e["type"], e["version"]) for e in events] in (
        [created, update_2, update_3],
        [created, update_3],
    )
    assert all(e["aggregate_id"] == client_id for e in events)
    assert [a["number"] for a in events[-1]["data"]["addresses"]] == ["20", "10"]
