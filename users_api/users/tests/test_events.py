"""Issue #35: users_api publishes each user's state (users.user.*) on every committed
change, the password hash left out, with ``tokens_revoked_at`` set by deactivation,
codes or staff removed, logout, a reused refresh token and password changes; and applies
the same revocation to its own tokens and admin sessions (common.auth.revocations)."""

import pytest
from django.db import transaction
from django.test import Client as Browser
from django.utils import timezone
from rest_framework.test import APIClient

from common.auth.actors import Actor
from common.events.models import OutboxEvent
from common.models import Revocation
from users import services
from users.errors import InvalidCredentials
from users.models import User
from users.tests.factories import PASSWORD, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Actor(id="00000000-0000-0000-0000-000000000001", username="root", is_superuser=True)


def _events(user):
    return list(
        OutboxEvent.objects.filter(aggregate_id=str(user.pk))
        .order_by("id")
        .values_list("type", "version", "envelope")
    )


def _self(user):
    return Actor(id=str(user.pk), username=user.username)


def _login(user):
    return services.auth_login(username=user.username, password=PASSWORD, ip_address="127.0.0.1")


def _bearer(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_each_committed_change_publishes_one_event_with_the_state_and_no_secret():
    user = services.user_create(
        actor=ROOT, username="ana", email="ana@example.com", password=PASSWORD
    )
    services.user_update(actor=ROOT, user_id=user.pk, expected_version=None, first_name="Bia")
    events = _events(user)
    assert [(kind, version) for kind, version, _ in events] == [
        ("users.user.created", 1),
        ("users.user.updated", 2),
    ]
    data = events[-1][2]["data"]
    assert data["first_name"] == "Bia" and data["tokens_revoked_at"] is None
    assert "password" not in data and PASSWORD not in str(events)
    assert not any(user.password in str(envelope) for _, _, envelope in events)


def test_a_rolled_back_change_publishes_nothing():
    user = UserFactory()
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.user_deactivate(actor=ROOT, user_id=user.pk, expected_version=None)
        raise RuntimeError("rolled back")
    assert OutboxEvent.objects.count() == before
    assert not Revocation.objects.exists()


def test_a_login_is_no_change_and_publishes_nothing():
    user = UserFactory()
    before = OutboxEvent.objects.count()
    _login(user)
    assert OutboxEvent.objects.count() == before


def test_deactivation_publishes_the_revocation_and_refuses_the_tokens_here():
    user = UserFactory(is_staff=True)
    access = _login(user).access
    services.user_deactivate(actor=ROOT, user_id=user.pk, expected_version=None)
    kind, _, envelope = _events(user)[-1]
    assert kind == "users.user.deleted"
    assert envelope["data"]["is_active"] is False and envelope["data"]["tokens_revoked_at"]
    row = Revocation.objects.get(user_id=str(user.pk))
    assert row.inactive and row.not_before is not None
    assert _bearer(access).get("/api/v1/users/me").status_code == 401


def test_logout_revokes_every_access_token_of_the_user_and_a_refreshed_one_works(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    first, second = _login(user), _login(user)
    with django_capture_on_commit_callbacks(execute=True):
        services.auth_logout(actor=_self(user), refresh=first.refresh)
    assert _events(user)[-1][2]["data"]["tokens_revoked_at"]
    refused = _bearer(second.access).get("/api/v1/users/me")
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    # The other login's refresh token still works, and its new access token too, even
    # within the second of the logout.
    renewed = services.auth_refresh(refresh=second.refresh)
    assert _bearer(renewed.access).get("/api/v1/users/me").status_code == 200


def test_a_reused_refresh_token_revokes_the_users_access_tokens(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    pair = _login(user)
    services.auth_refresh(refresh=pair.refresh)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(InvalidCredentials, match="already used"),
    ):
        services.auth_refresh(refresh=pair.refresh)
    assert User.objects.get(pk=user.pk).tokens_revoked_at is not None
    assert _bearer(pair.access).get("/api/v1/users/me").status_code == 401


def test_a_password_change_revokes():
    user = UserFactory()
    services.user_password_change(
        actor=_self(user), current_password=PASSWORD, new_password="Outra-Senha-99x"
    )
    assert User.objects.get(pk=user.pk).tokens_revoked_at is not None


def test_removing_a_code_revokes_and_adding_one_does_not():
    user = UserFactory(grants=["clients.view_client"])
    services.user_permissions_set(
        actor=ROOT,
        user_id=user.pk,
        codes=["clients.view_client", "clients.add_client"],
        expected_version=None,
    )
    assert User.objects.get(pk=user.pk).tokens_revoked_at is None
    services.user_permissions_set(
        actor=ROOT, user_id=user.pk, codes=["clients.add_client"], expected_version=None
    )
    assert User.objects.get(pk=user.pk).tokens_revoked_at is not None


def test_a_code_still_given_by_a_role_is_not_lost():
    role = RoleFactory(codes=["clients.view_client"])
    user = UserFactory(grants=["clients.view_client"])
    services.user_roles_set(actor=ROOT, user_id=user.pk, role_ids=[role.pk], expected_version=None)
    services.user_permissions_set(actor=ROOT, user_id=user.pk, codes=[], expected_version=None)
    assert User.objects.get(pk=user.pk).tokens_revoked_at is None
    services.user_roles_set(actor=ROOT, user_id=user.pk, role_ids=[], expected_version=None)
    assert User.objects.get(pk=user.pk).tokens_revoked_at is not None


def test_a_role_losing_a_code_revokes_its_users_each_with_one_event():
    role = RoleFactory(codes=["clients.view_client", "clients.add_client"])
    holders = [UserFactory(), UserFactory()]
    for user in holders:
        user.roles.add(role)
    bystander = UserFactory()
    services.role_update(
        actor=ROOT, role_id=role.pk, expected_version=None, permission_codes=["clients.add_client"]
    )
    for user in holders:
        assert User.objects.get(pk=user.pk).tokens_revoked_at is not None
        assert [kind for kind, _, _ in _events(user)][-1] == "users.user.updated"
    assert User.objects.get(pk=bystander.pk).tokens_revoked_at is None


def test_removing_staff_access_revokes():
    user = UserFactory(is_staff=True)
    services.user_update(actor=ROOT, user_id=user.pk, expected_version=None, is_staff=False)
    assert User.objects.get(pk=user.pk).tokens_revoked_at is not None


def test_the_own_admin_session_ends_at_logout(django_capture_on_commit_callbacks):
    user = UserFactory(is_staff=True, is_superuser=True)
    browser = Browser()
    assert browser.login(username=user.username, password=PASSWORD)
    assert browser.get("/admin/users/user/").status_code == 200
    pair = _login(user)
    with django_capture_on_commit_callbacks(execute=True):
        services.auth_logout(actor=_self(user), refresh=pair.refresh)
    response = browser.get("/admin/users/user/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.django_db(transaction=True)
def test_createsuperuser_and_a_sign_ins_last_login_work_outside_a_transaction():
    # createsuperuser calls the manager outside any transaction, and Django's sign-in
    # saves last_login the same way: one event for the new user, none for the sign-in.
    user = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert [kind for kind, _, _ in _events(user)] == ["users.user.created"]
