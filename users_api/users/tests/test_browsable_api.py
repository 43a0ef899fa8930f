"""The browsable API for a person signed in to users_api's own admin: the same codes
their tokens carry (roles plus direct grants)."""

import json

import pytest
from django.test import Client as Browser

from common.development.testing import HTML, walk_as_html
from users.models import Role
from users.tests.factories import PASSWORD, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = "/api/v1/roles/"


def _signed_in(**fields):
    user = UserFactory(is_staff=True, **fields)
    browser = Browser()
    assert browser.login(username=user.username, password=PASSWORD)
    return browser


def test_every_url_renders_as_html_for_a_signed_in_person():
    role = RoleFactory(codes=["clients.view_client"])
    other = UserFactory()
    browser = _signed_in(is_superuser=True)
    answers = walk_as_html(
        browser,
        {
            "user-detail": {"pk": other.pk},
            "user-roles": {"pk": other.pk},
            "user-permissions": {"pk": other.pk},
            "role-detail": {"pk": role.pk},
        },
    )
    assert {path: answer for path, answer in answers.items() if answer[0] >= 500} == {}
    assert answers[f"/api/v1/users/{other.pk}/"] == (200, "text/html; charset=utf-8")
    assert answers[f"{ROLES}{role.pk}/"] == (200, "text/html; charset=utf-8")


def test_the_session_has_the_codes_of_the_users_roles_and_grants():
    browser = _signed_in(grants=["users.view_role", "users.add_role", "clients.view_client"])
    page = browser.get(ROLES, **HTML)
    assert page.status_code == 200
    assert 'name="name"' in page.content.decode()  # the add form
    assert browser.get("/api/v1/users/", **HTML).status_code == 403
    created = browser.post(ROLES, {"name": "Atendimento", "description": "Balcão"}, **HTML)
    assert created.status_code == 201, created.content.decode()[-2000:]
    # A role may carry only codes the signer holds, as with a token.
    held = browser.post(
        ROLES,
        json.dumps({"name": "Leitura", "permissions": ["clients.view_client"]}),
        content_type="application/json",
        **HTML,
    )
    assert held.status_code == 201
    refused = browser.post(
        ROLES,
        json.dumps({"name": "Cadastro", "permissions": ["clients.add_client"]}),
        content_type="application/json",
        **HTML,
    )
    assert refused.status_code == 403
    assert set(Role.objects.values_list("name", flat=True)) == {"Atendimento", "Leitura"}


def test_the_role_edit_form_starts_from_the_role_as_shown():
    role = RoleFactory(name="Vendas", codes=["orders.view_order", "orders.add_order"])
    browser = _signed_in(grants=["users.view_role", "users.change_role"])
    page = browser.get(f"{ROLES}{role.pk}/", **HTML)
    assert page.status_code == 200
    raw = json.loads(page.context["raw_data_put_or_patch_form"]["_content"].initial)
    assert raw == {
        "name": "Vendas",
        "description": "A role for tests",
        "permissions": ["orders.add_order", "orders.view_order"],
    }


def test_me_is_the_signed_in_account():
    browser = _signed_in(username="joana")
    page = browser.get("/api/v1/users/me", **HTML)
    assert page.status_code == 200
    assert json.loads(page.context["content"])["username"] == "joana"
    raw = json.loads(page.context["raw_data_put_or_patch_form"]["_content"].initial)
    assert raw == {"email": "joana@example.com", "first_name": "Ana", "last_name": "Silva"}


def test_the_html_form_starts_with_an_active_account():
    browser = _signed_in(grants=["users.view_user", "users.add_user"])
    form = browser.get("/api/v1/users/", **HTML).content.decode()
    assert 'name="is_active" value="true" checked' in form
    assert 'name="is_staff" value="true" checked' not in form
