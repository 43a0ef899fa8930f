"""Usernames are unique regardless of case, and signing in accepts any case of the name."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from users import services
from users.errors import InvalidCredentials
from users.models import LoginSession, User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
USERS = "/api/v1/users/"
TAKEN = "A user with this username already exists."


def test_registering_a_name_taken_in_another_case_is_refused(api_client):
    UserFactory(username="admin")
    response = api_client.post(
        REGISTER,
        {"username": "ADMIN", "email": "other@example.com", "password": "Sabia-2-Laranjeira"},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"]["username"] == [TAKEN]
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]


def test_creating_or_renaming_to_a_name_taken_in_another_case_is_refused(client_with):
    client = client_with("users.add_user", "users.change_user")
    UserFactory(username="Maria")
    created = client.post(
        USERS,
        {"username": "mARIA", "email": "m2@example.com", "password": "Sabia-2-Laranjeira"},
        format="json",
    )
    assert created.status_code == 400
    assert created.json()["errors"]["username"] == [TAKEN]
    other = UserFactory(username="joana")
    renamed = client.patch(f"{USERS}{other.pk}/", {"username": "MARIA"}, format="json")
    assert renamed.status_code == 400
    assert renamed.json()["errors"]["username"] == [TAKEN]
    # A user's own name in another case is no clash.
    recased = client.patch(f"{USERS}{other.pk}/", {"username": "Joana"}, format="json")
    assert recased.status_code == 200
    assert recased.json()["username"] == "Joana"


def test_the_admin_form_refuses_a_name_taken_in_another_case():
    root = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    UserFactory(username="tomado")
    response = client.post(
        "/admin/users/user/add/",
        {
            "username": "TOMADO",
            "email": "outro@example.com",
            "password1": "Sabia-2-Laranjeira",
            "password2": "Sabia-2-Laranjeira",
        },
    )
    assert response.status_code == 200
    assert TAKEN in response.content.decode()
    assert not User.objects.filter(username="TOMADO").exists()


def test_the_database_refuses_a_name_taken_in_another_case():
    UserFactory(username="admin")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="Admin", email="x@example.com")


@pytest.mark.parametrize("typed", ["maria", "MARIA", "Maria"])
def test_the_token_endpoint_accepts_any_case_of_the_name(api_client, typed):
    user = UserFactory(username="Maria")
    response = api_client.post(TOKEN, {"username": typed, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    assert LoginSession.objects.get().user == user


@pytest.mark.parametrize("typed", ["root", "ROOT"])
def test_the_admin_login_accepts_any_case_of_the_name(typed):
    UserFactory(username="Root", is_staff=True, is_superuser=True)
    response = Client().post(
        "/admin/login/?next=/admin/", {"username": typed, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_login_limits_count_every_case_of_a_name_as_one_account(api_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = "2/15min"
    UserFactory(username="maria")
    for typed in ["maria", "MARIA"]:
        wrong = api_client.post(TOKEN, {"username": typed, "password": "guess"}, format="json")
        assert wrong.status_code == 401
    refused = api_client.post(TOKEN, {"username": "Maria", "password": PASSWORD}, format="json")
    assert refused.status_code == 429


def test_an_address_the_account_logged_in_from_is_known_in_any_case(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = "1/15min"
    user = UserFactory(username="maria")
    services.auth_login(username="maria", password=PASSWORD, ip_address="203.0.113.7")
    with pytest.raises(InvalidCredentials):
        services.auth_login(username="MARIA", password="guess", ip_address="198.51.100.1")
    # Past the per-account limit, an address the account knows still signs in.
    assert services.auth_login(username="MARIA", password=PASSWORD, ip_address="203.0.113.7")
    assert LoginSession.objects.filter(user=user).count() == 2


BEFORE = [("users", "0005_user_tokens_revoked_at")]
AFTER = [("users", "0006_username_unique_case_insensitively")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_refuses_to_run_on_names_that_differ_only_in_case():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        historical = executor.loader.project_state(BEFORE).apps.get_model("users", "User")
        for n, username in enumerate(["ana", "bruno", "ANA", "Bruno", "Ana", "carla"]):
            historical.objects.create(username=username, email=f"{n}@example.com")
        with pytest.raises(RuntimeError) as refused:
            MigrationExecutor(connection).migrate(AFTER)
        assert "ANA, Ana, ana; Bruno, bruno" in str(refused.value)
        historical.objects.filter(username__in=["ANA", "Ana", "Bruno"]).delete()
        MigrationExecutor(connection).migrate(AFTER)
    finally:
        User.objects.all().delete()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("users"))
