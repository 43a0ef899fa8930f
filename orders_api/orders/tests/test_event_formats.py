"""While one service rolls out a new version, its events come in two formats at once
(docs/operations.md: "Running on more than one machine"): the consumer takes both."""

import uuid

import pytest

from orders.models import ClientSnapshot, ProductSnapshot
from orders.tests.test_snapshots import _client_event, _deliver, _product_event

pytestmark = pytest.mark.django_db


def test_fields_a_newer_publisher_adds_are_ignored():
    client_id, product_id = uuid.uuid4(), uuid.uuid4()
    client = _client_event(client_id, 1, "created", loyalty_tier="gold")
    client["schema_version"] = 2  # an envelope field this release does not know
    _deliver(client)
    _deliver(_product_event(product_id, 1, "created", weight_grams=250, price="9.90"))
    assert ClientSnapshot.objects.get(pk=client_id).name == "Maria"
    assert str(ProductSnapshot.objects.get(pk=product_id).price) == "9.90"


def test_optional_fields_an_older_publisher_did_not_send_get_defaults():
    client_id = uuid.uuid4()
    event = _client_event(client_id, 1, "created")
    for field in ("email", "phone", "addresses"):
        del event["data"][field]
    _deliver(event)
    copy = ClientSnapshot.objects.get(pk=client_id)
    assert (copy.email, copy.phone, copy.addresses) == ("", "", [])
