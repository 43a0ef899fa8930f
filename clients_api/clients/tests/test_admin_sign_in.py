"""The admin signs in with users_api accounts and allows exactly their token's codes."""

import pytest
from django.test import Client as Browser

from clients.models import Client
from clients.tests.factories import AddressFactory, ClientFactory
from common.development.testing import ADMIN_PASSWORD as PASSWORD
from common.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
CLIENTS = "/admin/clients/client/"
NEW_CLIENT = {
    "kind": "individual",
    "name": "Maria",
    "document": "529.982.247-25",
    "email": "",
    "phone": "",
    "is_active": "on",
    "addresses-TOTAL_FORMS": "0",
    "addresses-INITIAL_FORMS": "0",
}


def _login_page_message(username="ana", password=PASSWORD):
    page = Browser().post(LOGIN, {"username": username, "password": password})
    assert page.status_code == 200
    return page.content.decode()


def test_view_only_sees_clients_read_only_and_cannot_add_change_or_delete(admin_signed_in):
    client = ClientFactory(name="Padaria Pão Quente")
    AddressFactory(client=client, city="Natal")
    browser = admin_signed_in("clients.view_client")
    listing = browser.get(CLIENTS)
    assert listing.status_code == 200
    assert "Padaria Pão Quente" in listing.content.decode()
    assert "Add client" not in listing.content.decode()
    refused = browser.get(f"{CLIENTS}add/")
    assert refused.status_code == 403
    assert "does not have the permission for this page" in refused.content.decode()
    assert browser.post(f"{CLIENTS}add/", NEW_CLIENT).status_code == 403
    detail = browser.get(f"{CLIENTS}{client.pk}/change/")
    assert detail.status_code == 200
    assert "Natal" in detail.content.decode()  # the addresses, read only
    assert 'name="_save"' not in detail.content.decode()
    assert browser.post(f"{CLIENTS}{client.pk}/change/", NEW_CLIENT).status_code == 403
    assert browser.get(f"{CLIENTS}{client.pk}/delete/").status_code == 403
    assert Client.objects.get().name == "Padaria Pão Quente"


def test_with_the_add_code_a_client_and_its_address_are_added(admin_signed_in):
    browser = admin_signed_in("clients.view_client", "clients.add_client")
    form = dict(
        NEW_CLIENT,
        **{
            "addresses-TOTAL_FORMS": "1",
            "addresses-0-street": "Rua A",
            "addresses-0-number": "1",
            "addresses-0-district": "Centro",
            "addresses-0-city": "Natal",
            "addresses-0-state": "RN",
            "addresses-0-postal_code": "59010-000",
            "addresses-0-country": "BR",
            "addresses-0-label": "Casa",
        },
    )
    response = browser.post(f"{CLIENTS}add/", form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert Client.objects.get().addresses.get().city == "Natal"


def test_a_user_with_no_codes_sees_nothing(admin_signed_in):
    browser = admin_signed_in()
    index = browser.get("/admin/")
    assert index.status_code == 200
    assert "permission to view or edit anything" in index.content.decode()
    assert browser.get(CLIENTS).status_code == 403
    assert browser.get("/admin/events/outboxevent/").status_code == 403


def test_a_superuser_token_manages_everything(admin_signed_in):
    browser = admin_signed_in(is_superuser=True)
    assert browser.get(f"{CLIENTS}add/").status_code == 200
    assert browser.get("/admin/events/outboxevent/").status_code == 200


def test_roles_changed_in_users_api_apply_at_the_next_sign_in(admin_signed_in):
    viewer = admin_signed_in("clients.view_client")
    assert viewer.get(f"{CLIENTS}add/").status_code == 403
    again = admin_signed_in("clients.view_client", "clients.add_client")
    assert again.get(f"{CLIENTS}add/").status_code == 200
    assert viewer.get(f"{CLIENTS}add/").status_code == 403  # that session keeps its codes


def test_a_signed_in_session_keeps_working_while_users_api_is_down(
    users_api, admin_signed_in, settings
):
    browser = admin_signed_in("clients.view_client")
    users_api.stop()
    assert browser.get(CLIENTS).status_code == 200
    assert browser.get(f"{CLIENTS}add/").status_code == 403
    expiry = browser.session.get_expiry_age()
    assert settings.ADMIN_SESSION_MAX_AGE - 60 < expiry <= settings.ADMIN_SESSION_MAX_AGE


def test_users_api_unreachable_is_a_message_on_the_login_page(users_api):
    users_api.add("ana", PASSWORD, permissions=["clients.view_client"])
    users_api.stop()
    assert "users_api cannot be reached; try again shortly." in _login_page_message()


def test_wrong_password_non_staff_and_deactivated_are_messages_on_the_login_page(users_api):
    users_api.add("ana", PASSWORD)
    users_api.add("bia", PASSWORD, is_staff=False, permissions=["clients.view_client"])
    staff_only = "Please enter the correct username and password for a staff account"
    assert staff_only in _login_page_message(password="wrong")
    not_staff = _login_page_message(username="bia")
    assert "it is not a staff member" in not_staff and staff_only not in not_staff
    users_api.answer = (401, {"status": 401, "code": "user_inactive"}, {})
    assert "This account is deactivated in users_api." in _login_page_message()


def test_delete_deactivates_through_the_service_and_needs_the_delete_code(admin_signed_in):
    client = ClientFactory(name="Padaria")
    changer = admin_signed_in("clients.view_client", "clients.change_client")
    action = {"action": "deactivate_selected", "_selected_action": [str(client.pk)]}
    assert "deactivate_selected" not in changer.get(CLIENTS).content.decode()
    changer.post(CLIENTS, action)
    assert Client.objects.get().is_active
    deleter = admin_signed_in("clients.view_client", "clients.delete_client", username="caio")
    assert deleter.get(f"{CLIENTS}{client.pk}/delete/").status_code == 403  # no real delete
    answer = deleter.post(CLIENTS, action, follow=True).content.decode()
    assert "1 client(s) deactivated" in answer
    client.refresh_from_db()
    assert not client.is_active and client.version == 2  # kept, for history
    assert OutboxEvent.objects.filter(type="clients.client.deleted").count() == 1


def test_the_form_normalizes_and_refuses_phones_like_the_api(admin_signed_in):
    browser = admin_signed_in("clients.view_client", "clients.add_client")
    refused = browser.post(f"{CLIENTS}add/", {**NEW_CLIENT, "phone": "12-34"})
    assert refused.status_code == 200 and "A phone has 10 to 13 digits" in refused.content.decode()
    added = browser.post(f"{CLIENTS}add/", {**NEW_CLIENT, "phone": "(84) 99876-5432"})
    assert added.status_code == 302
    assert Client.objects.get().phone == "84998765432"


def brazil_cep(client):
    cep = client.addresses.get().postal_code
    return f"{cep[:5]}-{cep[5:]}"


def test_search_by_formatted_document_and_by_city(admin_signed_in):
    browser = admin_signed_in("clients.view_client")
    AddressFactory(client=ClientFactory(name="Maria", document="39053344705"), city="Mossoró")
    ClientFactory(name="João")
    by_document = browser.get(CLIENTS, {"q": "390.533.447-05"}).content.decode()
    assert "Maria" in by_document and "João" not in by_document
    by_city = browser.get(CLIENTS, {"q": "Mossoró"}).content.decode()
    assert "Maria" in by_city and "João" not in by_city
    maria = Client.objects.get(name="Maria")
    page = browser.get(f"{CLIENTS}{maria.pk}/change/").content.decode()
    assert "390.533.447-05" in page and brazil_cep(maria) in page  # masks, read only
    editor = admin_signed_in("clients.view_client", "clients.change_client", username="caio")
    form = editor.get(f"{CLIENTS}{maria.pk}/change/").content.decode()
    assert 'value="390.533.447-05"' in form and f'value="{brazil_cep(maria)}"' in form


def test_local_users_and_groups_are_not_offered(admin_signed_in):
    browser = admin_signed_in(is_superuser=True)
    index = browser.get("/admin/").content.decode()
    assert "/admin/auth/user/" not in index and "/admin/auth/group/" not in index
    assert browser.get("/admin/auth/user/add/").status_code == 404
