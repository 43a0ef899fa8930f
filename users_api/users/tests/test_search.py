"""?search= and the admin's search of users as people type: username, email, first and last
name, without accents, in any case (common.localization.search); a sign-in leaves the search
text alone."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from users.models import User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"


@pytest.fixture
def people():
    UserFactory(username="jsilva", first_name="José", last_name="Conceição")
    UserFactory(username="maria", first_name="Maria", last_name="Souza")


def _usernames(api, term):
    response = api.get(USERS, {"search": term})
    assert response.status_code == 200, response.json()
    return [user["username"] for user in response.json()["results"]]


@pytest.mark.parametrize("term", ["jose", "JOSE", "José", "conceicao", "jose conceicao", "jsil"])
def test_the_api_finds_a_user_without_accents_in_any_case(client_with, people, term):
    assert _usernames(client_with("users.view_user"), term) == ["jsilva"]


def test_a_term_with_no_match_finds_nothing(client_with, people):
    api = client_with("users.view_user")
    assert _usernames(api, "joao") == []
    assert _usernames(api, "jose souza") == []


def test_a_renamed_user_is_found_by_the_new_name(client_with):
    api = client_with("users.view_user", "users.change_user")
    user = UserFactory(username="zeca", first_name="Zeca")
    response = api.patch(f"{USERS}{user.pk}/", {"last_name": "Araújo"}, format="json")
    assert response.status_code == 200, response.json()
    assert _usernames(api, "araujo") == ["zeca"]


def test_a_sign_in_leaves_the_search_text_alone(api_client):
    user = UserFactory(username="ana")
    User.objects.filter(pk=user.pk).update(search_text="untouched")
    body = {"username": "ana", "password": PASSWORD}
    assert api_client.post("/api/v1/auth/token", body, format="json").status_code == 200
    user.refresh_from_db()
    assert user.last_login is not None and user.search_text == "untouched"


def test_the_admin_finds_a_user_without_accents(people):
    root = UserFactory(is_superuser=True, is_staff=True)
    browser = Client()
    assert browser.login(username=root.username, password=PASSWORD)
    page = browser.get("/admin/users/user/", {"q": "conceicao"}).content.decode()
    assert "jsilva" in page and "maria" not in page


def test_the_migration_fills_the_search_text_of_existing_users(people):
    User.objects.update(search_text="")  # as the rows were before the migration
    migration = importlib.import_module("users.migrations.0004_user_search_text")
    migration.Migration.operations[1].code(apps, SimpleNamespace(connection=connection))
    assert User.objects.get(username="jsilva").search_text == (
        f"jsilva\n{User.objects.get(username='jsilva').email}\njose\nconceicao"
    )
