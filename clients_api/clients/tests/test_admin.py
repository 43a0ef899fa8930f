"""The admin: clients with addresses inline, formatted documents, the API's rules."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser

from clients.models import Address, Client
from clients.tests.factories import AddressFactory, ClientFactory
from common.events.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-Admin-1")
    browser = Browser()
    browser.force_login(user)
    return browser


def _inline(prefix="addresses", total=0, initial=0, forms=()):
    data = {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, form in enumerate(forms):
        data.update({f"{prefix}-{index}-{key}": value for key, value in form.items()})
    return data


ADDRESS = {
    "street": "Rua A",
    "number": "1",
    "district": "Centro",
    "city": "Natal",
    "state": "RN",
    "postal_code": "59010-000",
    "country": "BR",
    "label": "Casa",
}


def test_list_shows_formatted_documents_and_filters(browser):
    ClientFactory(name="Padaria", kind="company", document="11222333000181")
    AddressFactory(client=ClientFactory(name="Zé"), state="BA")
    page = browser.get("/admin/clients/client/")
    assert page.status_code == 200
    assert "11.222.333/0001-81" in page.content.decode()
    assert "Padaria" in browser.get("/admin/clients/client/?q=11222333").content.decode()
    assert "Zé" in browser.get("/admin/clients/client/?addresses__state=BA").content.decode()
    assert browser.get("/admin/clients/client/?kind__exact=company").status_code == 200
    assert "Sistema Multi-APIs" in page.content.decode()


def test_add_with_addresses_inline_validates_like_the_api(browser):
    form = {
        "kind": "individual",
        "name": "Maria",
        "document": "529.982.247-25",
        "email": "",
        "phone": "",
        "is_active": "on",
    }
    refused = browser.post(
        "/admin/clients/client/add/",
        {**form, "document": "111.111.111-11", **_inline(total=1, forms=[ADDRESS])},
    )
    assert refused.status_code == 200
    assert "all digits equal" in refused.content.decode()
    two_defaults = browser.post(
        "/admin/clients/client/add/",
        {
            **form,
            **_inline(
                total=2,
                forms=[dict(ADDRESS, is_default="on"), dict(ADDRESS, is_default="on", number="2")],
            ),
        },
    )
    assert "Only one address can be the default." in two_defaults.content.decode()
    ok = browser.post(
        "/admin/clients/client/add/",
        {**form, **_inline(total=1, forms=[dict(ADDRESS, is_default="on")])},
    )
    assert ok.status_code == 302, ok.content.decode()[:3000]
    client = Client.objects.get()
    assert client.document == "52998224725"
    address = Address.objects.get()
    assert (address.state, address.postal_code) == ("RN", "59010000")
    assert OutboxEvent.objects.filter(aggregate_id=str(client.pk)).exists()


def test_switching_the_default_in_the_inline(browser):
    client = ClientFactory()
    first = AddressFactory(client=client, is_default=True)
    second = AddressFactory(client=client, number="2")
    data = {
        "kind": client.kind,
        "name": client.name,
        "document": client.document,
        "email": client.email,
        "phone": client.phone,
        "is_active": "on",
        **_inline(
            total=2,
            initial=2,
            forms=[
                dict(ADDRESS, id=str(first.pk), client=str(client.pk)),
                dict(ADDRESS, id=str(second.pk), client=str(client.pk), is_default="on"),
            ],
        ),
    }
    response = browser.post(f"/admin/clients/client/{client.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Address.objects.get(is_default=True) == second
