"""The admin site, the non-interactive first admin and ``changepassword``."""

import getpass

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from common.events.models import OutboxEvent
from users.models import User
from users.tests.factories import PASSWORD, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_createsuperuser_noinput_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "First-Admin-2026")
    call_command(
        "createsuperuser",
        "--noinput",
        "--username",
        "admin",
        "--email",
        "admin@example.com",
        verbosity=0,
    )
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.password.startswith("argon2$argon2id$")
    assert admin.check_password("First-Admin-2026")


def _typing(monkeypatch, *answers: str) -> None:
    """``getpass.getpass`` answers ``answers``, one per prompt."""
    typed = iter(answers)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))


def test_changepassword_sets_it_in_a_transaction_with_its_event_and_revokes_tokens(
    monkeypatch, capsys
):
    user = UserFactory(username="ana")
    _typing(monkeypatch, "Nova-Senha-2026", "Nova-Senha-2026")
    call_command("changepassword", "ANA")  # usernames compare case-insensitively
    user.refresh_from_db()
    assert user.check_password("Nova-Senha-2026")
    assert user.tokens_revoked_at is not None
    assert OutboxEvent.objects.filter(aggregate_id=str(user.pk)).count() == 2  # created, changed
    assert "Password changed for user 'ana'" in capsys.readouterr().out


def test_changepassword_asks_again_for_a_mismatch_or_a_weak_one_and_gives_up_after_three(
    monkeypatch, capsys
):
    user = UserFactory(username="bia")
    _typing(monkeypatch, "Nova-Senha-2026", "Outra-Senha-2026", "123", "123", "abc", "abc")
    with pytest.raises(CommandError, match="not changed for 'bia' after 3 attempts"):
        call_command("changepassword", "bia")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    errors = capsys.readouterr().err
    assert "Passwords do not match" in errors
    assert "too short" in errors or "curta" in errors


def test_changepassword_of_nobody_is_refused():
    with pytest.raises(CommandError, match="user 'ninguem' does not exist"):
        call_command("changepassword", "ninguem")


def _admin_client(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_superuser_uses_the_admin_with_search_and_filters():
    root = UserFactory(is_superuser=True, is_staff=True)
    UserFactory(username="procurado")
    role = RoleFactory(name="Financeiro")
    client = _admin_client(root)
    page = client.get("/admin/users/user/?q=procurado")
    assert page.status_code == 200
    assert "procurado" in page.content.decode()
    assert client.get(f"/admin/users/user/?roles__id__exact={role.pk}").status_code == 200
    assert client.get("/admin/users/user/?is_active__exact=1").status_code == 200
    assert client.get("/admin/users/role/").status_code == 200
    assert client.get(f"/admin/users/role/{role.pk}/change/").status_code == 200
    assert client.get("/admin/users/permission/?service=clients").status_code == 200
    assert client.get("/admin/users/user/add/").status_code == 200
    index = client.get("/admin/").content.decode()
    assert "Sistema Multi-APIs — users_api" in index
    assert 'href="http://127.0.0.1:8002/admin/">clients_api admin' in index
    assert 'href="/api/docs/">users_api API docs' in index


def test_admin_add_user_hashes_with_argon2id():
    client = _admin_client(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        "/admin/users/user/add/",
        {
            "username": "novo",
            "email": "novo@example.com",
            "password1": "Sabia-2-Laranjeira",
            "password2": "Sabia-2-Laranjeira",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="novo").password.startswith("argon2$argon2id$")


def test_staff_see_only_what_their_codes_allow():
    viewer = UserFactory(is_staff=True, grants=["users.view_user"])
    client = _admin_client(viewer)
    assert client.get("/admin/users/user/").status_code == 200
    assert client.get("/admin/users/user/add/").status_code == 403
    assert client.get("/admin/users/role/").status_code == 403
    nobody = UserFactory(is_staff=True)
    assert _admin_client(nobody).get("/admin/users/user/").status_code == 403


def test_non_staff_cannot_enter_the_admin():
    client = Client()
    user = UserFactory(grants=["users.view_user"])
    client.login(username=user.username, password=PASSWORD)
    assert client.get("/admin/users/user/").status_code == 302  # to the login page


def test_schema_generates_without_warnings():
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", "/dev/null")


def test_the_admin_login_page_is_held_to_the_login_limits(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = "2/15min"
    root = UserFactory(is_superuser=True, is_staff=True)

    def sign_in(password, address):
        return Client().post(
            "/admin/login/?next=/admin/",
            {"username": root.username, "password": password},
            REMOTE_ADDR=address,
        )

    for _ in range(2):
        assert "correct username and password" in sign_in("guess", "203.0.113.7").content.decode()
    refused = sign_in(PASSWORD, "203.0.113.7")
    assert refused.status_code == 200
    assert "Too many sign-in attempts; try again in" in refused.content.decode()
    assert sign_in(PASSWORD, "198.51.100.20").status_code == 302
