"""Every endpoint, both ways: 401 without a token, 403 without the code, 2xx with it."""

import pytest
from django.conf import settings

from clients.tests.factories import AddressFactory, ClientFactory
from common.development.testing import PermissionCase as Case
from common.development.testing import permission_matrix

pytestmark = pytest.mark.django_db

NEW_CLIENT = {"kind": "individual", "name": "Novo", "document": "529.982.247-25"}
NEW_ADDRESS = {
    "street": "Rua A",
    "number": "1",
    "district": "Centro",
    "city": "Natal",
    "state": "RN",
    "postal_code": "59010-000",
}

CASES = [
    # the API's root (GET /api/v1/): any authenticated caller
    Case("get", "", None, queries=0),
    # count, page, addresses
    Case("get", "clients/", "clients.view_client", queries=3),
    # savepoint, document taken?, savepoint, insert, outbox, release x2
    Case("post", "clients/", "clients.add_client", NEW_CLIENT, 201, queries=7),
    # the client, its addresses
    Case("get", "clients/<uuid:pk>/", "clients.view_client", queries=2),
    # savepoint, lock, addresses, document taken?, savepoint, update, outbox,
    # release x2
    Case(
        "put",
        "clients/<uuid:pk>/",
        "clients.change_client",
        dict(NEW_CLIENT, document="11.222.333/0001-81", kind="company"),
        queries=9,
    ),
    Case("patch", "clients/<uuid:pk>/", "clients.change_client", {"name": "Outro"}, queries=9),
    # savepoint, lock, update, addresses (the event), outbox, release
    Case("delete", "clients/<uuid:pk>/", "clients.delete_client", None, 204, queries=6),
    # client exists?, count, page
    Case("get", "clients/<uuid:pk>/addresses/", "clients.view_client", queries=3),
    # savepoint, lock, first address?, insert, then the client's event (relock, update,
    # addresses, outbox), release
    Case(
        "post",
        "clients/<uuid:pk>/addresses/",
        "clients.add_client",
        NEW_ADDRESS,
        201,
        queries=9,
    ),
    Case("get", "clients/<uuid:pk>/addresses/<uuid:aid>/", "clients.view_client", queries=1),
    # savepoint, lock, the address, its update or delete, the client's event (5), release
    Case(
        "put",
        "clients/<uuid:pk>/addresses/<uuid:aid>/",
        "clients.change_client",
        NEW_ADDRESS,
        queries=10,
    ),
    Case(
        "patch",
        "clients/<uuid:pk>/addresses/<uuid:aid>/",
        "clients.change_client",
        {"label": "Casa"},
        queries=10,
    ),
    Case(
        "delete",
        "clients/<uuid:pk>/addresses/<uuid:aid>/",
        "clients.delete_client",
        None,
        204,
        queries=10,
    ),
]


def _request(case, caller):
    address = AddressFactory()
    path = case.route.replace("<uuid:pk>", str(address.client_id))
    return "/api/v1/" + path.replace("<uuid:aid>", str(address.pk)), case.body


TestPermissionMatrix = permission_matrix(
    cases=CASES, catalogue=settings.PERMISSION_CODES, request=_request
)


def test_a_forged_token_is_refused_and_a_real_one_accepted(api_client, client_with):
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    ClientFactory()
    real = client_with("clients.view_client")
    assert real.get("/api/v1/clients/").status_code == 200
    claims = jwt.decode(
        real._credentials["HTTP_AUTHORIZATION"].split()[1], options={"verify_signature": False}
    )
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(dict(claims, is_superuser=True), forger, algorithm="RS256")
    response = api_client.get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert response.status_code == 401
