"""The browsable API for a person signed in to clients_api's admin: every page renders,
the forms work with the admin's codes and CSRF, errors are pages; JWT clients unchanged."""

import json
import uuid

import pytest
from django.test import Client as Browser

from clients.models import Client
from clients.tests.factories import AddressFactory, ClientFactory
from common.auth.admin_sign_in import SESSION_USER_ID_KEY
from common.development.testing import HTML, inline_scripts, walk_as_html

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"
NEW = {"kind": "individual", "name": "Maria das Dores", "document": "390.533.447-05"}


@pytest.fixture(autouse=True)
def _ready_without_a_broker(settings):
    # /readyz answers 503 while the broker is down, as it should; not what is walked here.
    settings.READINESS_CHECKS = ["common.operations.health.database_check"]


def _enforcing_csrf(browser):
    """The signed-in browser's cookies in a client that checks CSRF as a browser meets it."""
    enforcing = Browser(enforce_csrf_checks=True)
    enforcing.cookies = browser.cookies
    return enforcing


def _csrf_token(browser, path=CLIENTS):
    page = browser.get(path, **HTML)
    return str(page.context["csrf_token"])


def test_every_url_renders_as_html_for_a_signed_in_person(admin_signed_in):
    address = AddressFactory()
    browser = admin_signed_in(is_superuser=True)
    client_id = {"pk": address.client_id}
    answers = walk_as_html(
        browser,
        {
            "client-detail": client_id,
            "address-list": client_id,
            "address-detail": {**client_id, "aid": address.pk},
        },
    )
    assert {path: answer for path, answer in answers.items() if answer[0] >= 500} == {}
    api_pages = {path: answer for path, answer in answers.items() if "/api/schema/" not in path}
    assert {answer[1] for answer in api_pages.values()} == {"text/html; charset=utf-8"}
    assert answers[f"{CLIENTS}{address.client_id}/"][0] == 200


def test_the_list_shows_results_filters_and_pages(admin_signed_in):
    for name in ("Padaria Pão Quente", "Mercadinho Bom Preço", "Açougue Boi Gordo"):
        ClientFactory(name=name)
    browser = admin_signed_in("clients.view_client")
    page = browser.get(f"{CLIENTS}?limit=2", **HTML)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Açougue Boi Gordo" in html and "Mercadinho Bom Pre" in html
    assert "Padaria" not in html.split('class="response-info"')[0]  # next page
    assert 'class="pagination' in html and "offset=2" in html
    assert 'name="is_active"' in html and 'name="search"' in html  # the filters form
    assert 'name="ordering"' in html or "ordering=" in html
    assert 'id="signed-in-as"' in html and ">ana<" in html
    assert "/admin/logout/" in html


def test_a_person_without_a_session_is_offered_the_admin_sign_in(api_client):
    page = Browser().get(CLIENTS, **HTML)
    assert page.status_code == 401
    assert page["Content-Type"] == "text/html; charset=utf-8"
    html = page.content.decode()
    assert "401 Unauthorized" in html
    assert f'href="/admin/login/?next={CLIENTS}"' in html
    # A JSON client is answered as before.
    problem = api_client.get(CLIENTS)
    assert problem.status_code == 401
    assert problem["Content-Type"] == "application/problem+json"
    assert problem.json()["code"] == "not_authenticated"
    assert problem["WWW-Authenticate"].startswith("Bearer")


def test_the_session_has_the_codes_the_admin_gives(admin_signed_in):
    ClientFactory(name="Padaria Pão Quente")
    browser = admin_signed_in("clients.view_client")
    assert browser.get(CLIENTS, **HTML).status_code == 200
    refused = browser.post(CLIENTS, NEW, **HTML)
    assert refused.status_code == 403
    assert "403 Forbidden" in refused.content.decode()
    assert not Client.objects.filter(name=NEW["name"]).exists()
    # Without the view code nothing is shown either.
    other = admin_signed_in("clients.add_client", username="bia")
    assert other.get(CLIENTS, **HTML).status_code == 403


def test_the_html_form_creates_a_client(admin_signed_in):
    browser = admin_signed_in("clients.view_client", "clients.add_client")
    page = browser.get(CLIENTS, **HTML).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="document"' in page
    created = browser.post(CLIENTS, NEW, **HTML)  # multipart, as the form posts
    assert created.status_code == 201, created.content.decode()[-2000:]
    client = Client.objects.get(name="Maria das Dores")
    assert client.document == "39053344705"
    assert created["Location"] == f"{CLIENTS}{client.pk}/"
    assert "Maria das Dores" in created.content.decode()


def test_a_refused_form_shows_the_field_errors_and_keeps_what_was_typed(admin_signed_in):
    browser = admin_signed_in("clients.view_client", "clients.add_client")
    refused = browser.post(CLIENTS, {"kind": "individual", "name": "Maria"}, **HTML)
    assert refused.status_code == 400
    assert refused["Content-Type"] == "text/html; charset=utf-8"
    html = refused.content.decode()
    assert "400 Bad Request" in html and "The request has invalid fields." in html
    assert "application/problem+json" in html  # the headers shown are a JSON client's
    assert "<dt>document</dt>" in html and "<dd>This field is required.</dd>" in html
    assert 'value="Maria"' in html  # the HTML form, filled again
    assert 'class="help-block">This field is required.' in html  # beside the field
    # A rule of the service, not of the serializer: a CPF with wrong check digits.
    wrong = browser.post(CLIENTS, dict(NEW, document="390.533.447-00"), **HTML)
    assert wrong.status_code == 400
    assert "<dt>document</dt>" in wrong.content.decode()
    assert Client.objects.count() == 0


def test_session_writes_need_the_csrf_token(admin_signed_in):
    browser = _enforcing_csrf(admin_signed_in("clients.view_client", "clients.add_client"))
    refused = browser.post(CLIENTS, NEW, **HTML)
    assert refused.status_code == 403
    assert "CSRF Failed" in refused.content.decode()
    assert Client.objects.count() == 0
    token = _csrf_token(browser)
    created = browser.post(CLIENTS, dict(NEW, csrfmiddlewaretoken=token), **HTML)
    assert created.status_code == 201
    # The raw-data form sends JSON with the token in a header.
    raw = browser.post(
        CLIENTS,
        json.dumps(dict(NEW, name="João", document="529.982.247-25")),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        **HTML,
    )
    assert raw.status_code == 201, raw.content.decode()[-2000:]


def test_edit_forms_start_from_the_client_as_shown(admin_signed_in):
    client = ClientFactory(name="Padaria Pão Quente", email="padaria@example.com")
    browser = admin_signed_in("clients.view_client", "clients.change_client")
    page = browser.get(f"{CLIENTS}{client.pk}/", **HTML)
    assert page.status_code == 200
    put_form = page.context["put_form"]
    assert 'value="Padaria Pão Quente"' in put_form
    raw = json.loads(page.context["raw_data_put_or_patch_form"]["_content"].initial)
    assert raw == {
        "kind": "individual",
        "name": "Padaria Pão Quente",
        "document": client.document,
        "email": "padaria@example.com",
        "phone": client.phone,
        "is_active": True,
    }
    token = str(page.context["csrf_token"])
    changed = _enforcing_csrf(browser).patch(
        f"{CLIENTS}{client.pk}/",
        json.dumps({"name": "Padaria Pão Nosso"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        **HTML,
    )
    assert changed.status_code == 200
    client.refresh_from_db()
    assert client.name == "Padaria Pão Nosso"


def test_json_clients_are_unchanged(client_with, admin_signed_in):
    api = client_with("clients.view_client", "clients.add_client")
    # Form bodies are the browsable API's, for a signed-in person only.
    refused = api.post(CLIENTS, NEW, format="multipart")
    assert refused.status_code == 415
    assert refused["Content-Type"] == "application/problem+json"
    assert api.options(CLIENTS).json()["parses"] == ["application/json"]
    created = api.post(CLIENTS, NEW, format="json")
    assert created.status_code == 201
    assert created["Content-Type"] == "application/json"
    invalid = api.post(CLIENTS, {"kind": "individual"}, format="json")
    assert invalid["Content-Type"] == "application/problem+json"
    assert set(invalid.json()["errors"]) == {"name", "document"}
    # A bearer token wins over a session: the token's codes apply, not the admin's.
    browser = admin_signed_in(is_superuser=True)
    viewer = client_with("clients.view_client")._credentials["HTTP_AUTHORIZATION"]
    refused = browser.post(
        CLIENTS, json.dumps(NEW), content_type="application/json", HTTP_AUTHORIZATION=viewer
    )
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"


def test_an_unknown_address_is_a_page_for_a_browser_and_a_problem_for_json(api_client):
    path = f"/api/v1/nothing-here/{uuid.uuid4()}"
    page = Browser().get(path, **HTML)
    assert page.status_code == 404
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert "404 Not Found" in page.content.decode()
    assert "Nothing lives at this address." in page.content.decode()
    problem = api_client.get(path)
    assert problem.status_code == 404
    assert problem["Content-Type"] == "application/problem+json"
    assert problem.json()["code"] == "not_found"


def test_cors_is_closed_unless_an_origin_is_configured(api_client, settings):
    origin = "https://app.example.com"
    preflight = {
        "HTTP_ORIGIN": origin,
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type, idempotency-key",
    }
    closed = api_client.options(CLIENTS, **preflight)
    assert "Access-Control-Allow-Origin" not in closed
    settings.CORS_ALLOWED_ORIGINS = [origin]
    opened = api_client.options(CLIENTS, **preflight)
    assert opened.status_code == 200
    assert opened["Access-Control-Allow-Origin"] == origin
    assert "idempotency-key" in opened["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in opened
    answer = api_client.get(CLIENTS, HTTP_ORIGIN=origin)
    assert answer.status_code == 401
    assert answer["Access-Control-Allow-Origin"] == origin
    assert "ETag" in answer["Access-Control-Expose-Headers"]
    other = api_client.get(CLIENTS, HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other
    # The admin is not an API: no CORS there.
    assert "Access-Control-Allow-Origin" not in api_client.get("/admin/login/", HTTP_ORIGIN=origin)


def test_a_sign_in_whose_session_has_no_users_api_id_must_sign_in_again(admin_signed_in):
    browser = admin_signed_in("clients.view_client")
    assert browser.get(CLIENTS, **HTML).status_code == 200
    session = browser.session
    del session[SESSION_USER_ID_KEY]  # as kept by the admin before the API read sessions
    session.save()
    assert browser.get(CLIENTS, **HTML).status_code == 401


def test_the_schema_documents_bearer_tokens_and_json_bodies_only(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    assert list(schema["components"]["securitySchemes"]) == ["bearerAuth"]
    bodies = {
        media_type
        for operations in schema["paths"].values()
        for operation in operations.values()
        for media_type in operation.get("requestBody", {}).get("content", {})
    }
    assert bodies == {"application/json"}


def test_the_pages_carry_the_content_security_policy_and_need_no_more(admin_signed_in, settings):
    address = AddressFactory()
    browser = admin_signed_in(is_superuser=True)
    for path in [
        CLIENTS,
        f"{CLIENTS}{address.client_id}/",
        f"{CLIENTS}{address.client_id}/addresses/",
        "/admin/clients/client/",
        f"/admin/clients/client/{address.client_id}/change/",
    ]:
        page = browser.get(path, **HTML)
        assert page.status_code == 200, path
        assert page["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY, path
        assert inline_scripts(page.content.decode()) == [], path
