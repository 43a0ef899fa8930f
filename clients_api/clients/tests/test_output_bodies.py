"""The JSON bodies, field by field, as captured before the views shared a base class and
stopped reading back what they had: a refactor of the HTTP layer keeps them."""

import datetime
import uuid

import pytest

from clients.models import Address, Client
from common.development.testing import one_page, without_generated

pytestmark = pytest.mark.django_db

CLIENT_ID = uuid.UUID("7b0c7d36-58a4-4f4e-9d55-0b8f3f1e2a01")
HOME_ID = uuid.UUID("0d1e2f30-4a5b-4c6d-8e9f-a0b1c2d3e401")
WORK_ID = uuid.UUID("0d1e2f30-4a5b-4c6d-8e9f-a0b1c2d3e402")
WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=datetime.UTC)


@pytest.fixture
def client_row():
    client = Client.objects.create(
        id=CLIENT_ID,
        kind="individual",
        name="Maria da Silva",
        document="52998224725",
        email="maria@example.com",
        phone="11912345678",
    )
    for address_id, label, is_default in ((HOME_ID, "Casa", True), (WORK_ID, "Trabalho", False)):
        Address.objects.create(
            id=address_id,
            client=client,
            label=label,
            street="Avenida Paulista",
            number="1000",
            complement="ap 12",
            district="Bela Vista",
            city="São Paulo",
            state="SP",
            postal_code="01310100",
            is_default=is_default,
        )
    Address.objects.filter(pk=WORK_ID).update(created_at=WHEN + datetime.timedelta(seconds=1))
    Address.objects.filter(pk=HOME_ID).update(created_at=WHEN)
    Address.objects.update(updated_at=WHEN)
    Client.objects.filter(pk=CLIENT_ID).update(created_at=WHEN, updated_at=WHEN)
    return client


HOME = {
    "id": "0d1e2f30-4a5b-4c6d-8e9f-a0b1c2d3e401",
    "label": "Casa",
    "street": "Avenida Paulista",
    "number": "1000",
    "complement": "ap 12",
    "district": "Bela Vista",
    "city": "São Paulo",
    "state": "SP",
    "postal_code": "01310100",
    "country": "BR",
    "is_default": True,
    "version": 1,
    "created_at": "2026-03-04T05:06:07.890123Z",
    "updated_at": "2026-03-04T05:06:07.890123Z",
}
WORK = {
    "id": "0d1e2f30-4a5b-4c6d-8e9f-a0b1c2d3e402",
    "label": "Trabalho",
    "street": "Avenida Paulista",
    "number": "1000",
    "complement": "ap 12",
    "district": "Bela Vista",
    "city": "São Paulo",
    "state": "SP",
    "postal_code": "01310100",
    "country": "BR",
    "is_default": False,
    "version": 1,
    "created_at": "2026-03-04T05:06:08.890123Z",
    "updated_at": "2026-03-04T05:06:07.890123Z",
}
CLIENT = {
    "id": "7b0c7d36-58a4-4f4e-9d55-0b8f3f1e2a01",
    "kind": "individual",
    "name": "Maria da Silva",
    "document": "52998224725",
    "document_formatted": "529.982.247-25",
    "email": "maria@example.com",
    "phone": "11912345678",
    "is_active": True,
    "version": 3,
    "created_at": "2026-03-04T05:06:07.890123Z",
    "updated_at": "2026-03-04T05:06:07.890123Z",
    "addresses": [HOME, WORK],
}


@pytest.mark.parametrize(
    ("path", "etag", "body"),
    [
        (f"clients/{CLIENT_ID}/", '"3"', CLIENT),
        ("clients/", None, one_page(CLIENT)),
        (f"clients/{CLIENT_ID}/addresses/{HOME_ID}/", '"1"', HOME),
        (f"clients/{CLIENT_ID}/addresses/", None, one_page(HOME, WORK)),
    ],
)
def test_the_body_is_the_one_captured(admin_api, client_row, path, etag, body):
    response = admin_api.get(f"/api/v1/{path}")
    assert response.status_code == 200
    assert response.get("ETag") == etag
    assert response.json() == body


WRITES = [
    (
        "post",
        "clients/",
        {
            "kind": "company",
            "name": " Padaria ",
            "document": "11.222.333/0001-81",
            "phone": "(84) 3222-1234",
        },
        201,
        '"1"',
        {
            "kind": "company",
            "name": "Padaria",
            "document": "11222333000181",
            "document_formatted": "11.222.333/0001-81",
            "email": "",
            "phone": "8432221234",
            "is_active": True,
            "version": 1,
            "addresses": [],
        },
    ),
    (
        "patch",
        f"clients/{CLIENT_ID}/",
        {"name": "Maria Souza"},
        200,
        '"4"',
        {
            "kind": "individual",
            "name": "Maria Souza",
            "document": "52998224725",
            "document_formatted": "529.982.247-25",
            "email": "maria@example.com",
            "phone": "11912345678",
            "is_active": True,
            "version": 4,
            "addresses": [
                {
                    "label": "Casa",
                    "street": "Avenida Paulista",
                    "number": "1000",
                    "complement": "ap 12",
                    "district": "Bela Vista",
                    "city": "São Paulo",
                    "state": "SP",
                    "postal_code": "01310100",
                    "country": "BR",
                    "is_default": True,
                    "version": 1,
                },
                {
                    "label": "Trabalho",
                    "street": "Avenida Paulista",
                    "number": "1000",
                    "complement": "ap 12",
                    "district": "Bela Vista",
                    "city": "São Paulo",
                    "state": "SP",
                    "postal_code": "01310100",
                    "country": "BR",
                    "is_default": False,
                    "version": 1,
                },
            ],
        },
    ),
    (
        "put",
        f"clients/{CLIENT_ID}/",
        {
            "kind": "individual",
            "name": "Maria S",
            "document": "529.982.247-25",
            "email": "m@example.com",
        },
        200,
        '"5"',
        {
            "kind": "individual",
            "name": "Maria S",
            "document": "52998224725",
            "document_formatted": "529.982.247-25",
            "email": "m@example.com",
            "phone": "11912345678",
            "is_active": True,
            "version": 5,
            "addresses": [
                {
                    "label": "Casa",
                    "street": "Avenida Paulista",
                    "number": "1000",
                    "complement": "ap 12",
                    "district": "Bela Vista",
                    "city": "São Paulo",
                    "state": "SP",
                    "postal_code": "01310100",
                    "country": "BR",
                    "is_default": True,
                    "version": 1,
                },
                {
                    "label": "Trabalho",
                    "street": "Avenida Paulista",
                    "number": "1000",
                    "complement": "ap 12",
                    "district": "Bela Vista",
                    "city": "São Paulo",
                    "state": "SP",
                    "postal_code": "01310100",
                    "country": "BR",
                    "is_default": False,
                    "version": 1,
                },
            ],
        },
    ),
    (
        "post",
        f"clients/{CLIENT_ID}/addresses/",
        {
            "street": "Rua B",
            "number": "2",
            "district": "Centro",
            "city": "Natal",
            "state": "rn",
            "postal_code": "59010-000",
            "is_default": True,
        },
        201,
        '"1"',
        {
            "label": "",
            "street": "Rua B",
            "number": "2",
            "complement": "",
            "district": "Centro",
            "city": "Natal",
            "state": "RN",
            "postal_code": "59010000",
            "country": "BR",
            "is_default": True,
            "version": 1,
        },
    ),
    (
        "patch",
        f"clients/{CLIENT_ID}/addresses/{WORK_ID}/",
        {"label": "Escritório"},
        200,
        '"2"',
        {
            "label": "Escritório",
            "street": "Avenida Paulista",
            "number": "1000",
            "complement": "ap 12",
            "district": "Bela Vista",
            "city": "São Paulo",
            "state": "SP",
            "postal_code": "01310100",
            "country": "BR",
            "is_default": False,
            "version": 2,
        },
    ),
    (
        "put",
        f"clients/{CLIENT_ID}/addresses/{WORK_ID}/",
        {
            "street": "Rua C",
            "number": "3",
            "district": "Centro",
            "city": "Natal",
            "state": "RN",
            "postal_code": "59010000",
        },
        200,
        '"3"',
        {
            "label": "Escritório",
            "street": "Rua C",
            "number": "3",
            "complement": "ap 12",
            "district": "Centro",
            "city": "Natal",
            "state": "RN",
            "postal_code": "59010000",
            "country": "BR",
            "is_default": False,
            "version": 3,
        },
    ),
]


def test_writes_answer_the_bodies_captured(admin_api, client_row):
    """Each write in turn (they build on each other): status, ETag and body but for ids
    and timestamps."""
    for method, path, body, status, etag, expected in WRITES:
        response = getattr(admin_api, method)(f"/api/v1/{path}", body, format="json")
        assert (response.status_code, response.get("ETag")) == (status, etag), path
        assert without_generated(response.json()) == expected, path
