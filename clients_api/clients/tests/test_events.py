"""Exactly one event per committed change, with the right version and the full client."""

import pytest
from django.db import transaction
from django.utils import timezone

from clients import services
from clients.tests.factories import AddressFactory, ClientFactory
from common.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

ADDRESS = {
    "street": "Rua das Flores",
    "number": "10",
    "district": "Centro",
    "city": "Curitiba",
    "state": "PR",
    "postal_code": "80010-000",
}


def _events():
    return list(OutboxEvent.objects.order_by("id"))


def _only_new_event(before):
    new = [event for event in _events() if event.pk not in before]
    assert len(new) == 1, [event.type for event in new]
    return new[0].envelope


def _ids():
    """The events so far, marked sent as the relay would: a change whose aggregate's
    event still waited would replace it (common.events.recording) rather than add one."""
    OutboxEvent.objects.filter(sent_at__isnull=True).update(sent_at=timezone.now())
    return {event.pk for event in _events()}


def test_each_change_publishes_exactly_one_event(admin_api):
    response = admin_api.post(
        "/api/v1/clients/",
        {"kind": "individual", "name": "Rui", "document": "529.982.247-25"},
        format="json",
    )
    client_id = response.json()["id"]
    (created,) = [event.envelope for event in _events()]
    assert created["type"] == "clients.client.created"
    assert created["source"] == "clients_api"
    assert created["aggregate_id"] == client_id
    assert created["version"] == 1
    assert created["data"]["document"] == "52998224725"
    assert created["data"]["addresses"] == []

    steps = [
        (
            "patch client",
            lambda: admin_api.patch(
                f"/api/v1/clients/{client_id}/", {"name": "Rui B."}, format="json"
            ),
        ),
        (
            "add address",
            lambda: admin_api.post(
                f"/api/v1/clients/{client_id}/addresses/", ADDRESS, format="json"
            ),
        ),
        (
            "add default",
            lambda: admin_api.post(
                f"/api/v1/clients/{client_id}/addresses/",
                dict(ADDRESS, number="20", is_default=True),
                format="json",
            ),
        ),
    ]
    version = 1
    for name, step in steps:
        before = _ids()
        assert step().status_code in (200, 201), name
        event = _only_new_event(before)
        version += 1
        assert (event["type"], event["version"]) == ("clients.client.updated", version), name
    assert [a["number"] for a in event["data"]["addresses"]] == ["20", "10"]
    assert [a["is_default"] for a in event["data"]["addresses"]] == [True, False]

    address_id = event["data"]["addresses"][1]["id"]
    before = _ids()
    admin_api.patch(
        f"/api/v1/clients/{client_id}/addresses/{address_id}/", {"city": "Londrina"}, format="json"
    )
    event = _only_new_event(before)
    assert event["version"] == version + 1
    assert event["data"]["addresses"][1]["city"] == "Londrina"

    before = _ids()
    admin_api.delete(f"/api/v1/clients/{client_id}/addresses/{address_id}/")
    event = _only_new_event(before)
    assert (event["type"], event["version"]) == ("clients.client.updated", version + 2)
    assert len(event["data"]["addresses"]) == 1

    before = _ids()
    admin_api.delete(f"/api/v1/clients/{client_id}/")
    event = _only_new_event(before)
    assert (event["type"], event["version"]) == ("clients.client.deleted", version + 3)
    assert event["data"]["is_active"] is False


def test_refused_changes_publish_nothing(admin_api):
    client = ClientFactory()
    before = _ids()
    refusals = [
        admin_api.patch(
            f"/api/v1/clients/{client.pk}/", {"document": "111.111.111-11"}, format="json"
        ),
        admin_api.post(
            f"/api/v1/clients/{client.pk}/addresses/", dict(ADDRESS, state="ZZ"), format="json"
        ),
        admin_api.patch(
            f"/api/v1/clients/{client.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH='"999"'
        ),
        admin_api.post(
            "/api/v1/clients/",
            {"kind": "individual", "name": "Dup", "document": client.document},
            format="json",
        ),
    ]
    # Each was refused, for its own reason (the field at fault): nothing changed, so
    # nothing is published.
    assert [
        (response.status_code, response.json()["code"], sorted(response.json().get("errors", {})))
        for response in refusals
    ] == [
        (400, "validation_error", ["document"]),
        (400, "validation_error", ["state"]),
        (412, "precondition_failed", []),
        (400, "validation_error", ["document"]),
    ]
    assert _ids() == before


def test_a_rolled_back_change_publishes_nothing():
    client = ClientFactory()
    before = _ids()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.client_update(actor=None, client_id=client.pk, expected_version=None, name="Nope")
        services.address_create(actor=None, client_id=client.pk, **ADDRESS)
        raise RuntimeError("something after the writes failed")
    assert _ids() == before
    client.refresh_from_db()
    assert client.name != "Nope"


def test_versions_increase_strictly_per_client():
    client = ClientFactory()
    other = ClientFactory()
    for n in range(3):
        _ids()
        services.address_create(actor=None, client_id=client.pk, **dict(ADDRESS, number=str(n)))
        services.client_update(actor=None, client_id=other.pk, expected_version=None, name=f"o{n}")
    for aggregate in (client, other):
        versions = [event.version for event in _events() if event.aggregate_id == str(aggregate.pk)]
        assert versions == sorted(set(versions))
        assert versions[-1] == len(versions)


def test_publish_snapshots_republishes_every_client(capsys):
    from django.core.management import call_command

    clients = [ClientFactory() for _ in range(3)]
    AddressFactory(client=clients[0])
    before = _ids()
    call_command("publish_snapshots")
    new = [event.envelope for event in _events() if event.pk not in before]
    assert sorted(event["aggregate_id"] for event in new) == sorted(str(c.pk) for c in clients)
    assert "clients.Client: 3 events recorded" in capsys.readouterr().out
