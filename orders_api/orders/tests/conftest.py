import pytest

from orders.tests.factories import ClientSnapshotFactory, ProductSnapshotFactory


@pytest.fixture
def order(admin_api):
    """An open order of one item (two units), as its POST answered it."""
    client, product = ClientSnapshotFactory(), ProductSnapshotFactory()
    created = admin_api.post(
        "/api/v1/orders/",
        {"client_id": str(client.pk), "items": [{"product_id": str(product.pk), "quantity": 2}]},
        format="json",
    )
    assert created.status_code == 201
    return created.json()
