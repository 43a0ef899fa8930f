"""Issue #35: a user revoked in users_api (deactivated, codes removed, logged out) is
refused here once the event arrives: tokens issued before it get 401 ``token_revoked``,
the admin and browsable-API session ends (common.auth.revocations)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from common.auth import revocations
from common.development.testing import access_token, user_event
from common.events import topology
from common.events.consumer import handled_types, process_event
from common.models import Revocation

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


def _bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _apply(event, capture):
    with capture(execute=True):
        assert process_event(event)


def _seconds(moment):
    return int(moment.timestamp())


def test_a_token_issued_before_the_revocation_is_refused_and_a_later_one_works(
    django_capture_on_commit_callbacks,
):
    user_id = uuid.uuid4()
    revoked_at = timezone.now() - timedelta(seconds=30)
    before = access_token(
        user_id=user_id, permissions=["clients.view_client"], iat=_seconds(revoked_at) - 60
    )
    after = access_token(
        user_id=user_id, permissions=["clients.view_client"], iat=_seconds(revoked_at) + 1
    )
    assert _bearer(before).get(CLIENTS).status_code == 200

    _apply(
        user_event(user_id, version=2, revoked_at=revoked_at), django_capture_on_commit_callbacks
    )

    refused = _bearer(before).get(CLIENTS)
    assert refused.status_code == 401
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["code"] == "token_revoked"
    assert _bearer(after).get(CLIENTS).status_code == 200
    # Another user's tokens are not touched.
    other = access_token(permissions=["clients.view_client"], iat=_seconds(revoked_at) - 60)
    assert _bearer(other).get(CLIENTS).status_code == 200


def test_a_deactivated_user_is_refused_whatever_the_token(django_capture_on_commit_callbacks):
    user_id = uuid.uuid4()
    revoked_at = timezone.now() - timedelta(seconds=30)
    later = access_token(user_id=user_id, is_superuser=True, iat=_seconds(revoked_at) + 10)
    _apply(
        user_event(user_id, version=3, revoked_at=revoked_at, is_active=False),
        django_capture_on_commit_callbacks,
    )
    assert _bearer(later).get(CLIENTS).json()["code"] == "token_revoked"

    # Reactivated (a newer version): the later token works again, the older ones not.
    _apply(
        user_event(user_id, version=4, revoked_at=revoked_at), django_capture_on_commit_callbacks
    )
    assert _bearer(later).get(CLIENTS).status_code == 200


def test_an_older_version_arriving_late_changes_nothing(django_capture_on_commit_callbacks):
    user_id = uuid.uuid4()
    revoked_at = timezone.now() - timedelta(seconds=30)
    _apply(
        user_event(user_id, version=5, revoked_at=revoked_at), django_capture_on_commit_callbacks
    )
    _apply(
        user_event(user_id, version=4, revoked_at=revoked_at, is_active=False),
        django_capture_on_commit_callbacks,
    )
    row = Revocation.objects.get(user_id=str(user_id))
    assert (row.version, row.inactive) == (5, False)


def test_a_user_with_nothing_revoked_leaves_no_row(django_capture_on_commit_callbacks):
    user_id = uuid.uuid4()
    _apply(
        user_event(user_id, version=1, event_type="users.user.created"),
        django_capture_on_commit_callbacks,
    )
    assert not Revocation.objects.exists()


def test_the_admin_and_browsable_sessions_of_a_revoked_user_end(
    admin_signed_in, django_capture_on_commit_callbacks
):
    user_id = uuid.uuid4()
    browser = admin_signed_in("clients.view_client", user_id=user_id)
    assert browser.get("/admin/clients/client/").status_code == 200
    assert browser.get(CLIENTS, HTTP_ACCEPT="application/json").status_code == 200

    # Signed in with a token issued now: a revocation from a minute ago leaves it alone.
    earlier = timezone.now() - timedelta(seconds=60)
    _apply(user_event(user_id, version=2, revoked_at=earlier), django_capture_on_commit_callbacks)
    assert browser.get("/admin/clients/client/").status_code == 200

    _apply(
        user_event(user_id, version=3, revoked_at=timezone.now()),
        django_capture_on_commit_callbacks,
    )
    assert browser.get(CLIENTS, HTTP_ACCEPT="application/json").status_code == 401
    response = browser.get("/admin/clients/client/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_codes_removed_end_the_session_and_the_new_sign_in_has_fewer_codes(
    admin_signed_in, django_capture_on_commit_callbacks
):
    user_id = uuid.uuid4()
    browser = admin_signed_in("clients.view_client", "clients.delete_client", user_id=user_id)
    assert browser.get("/admin/clients/client/").status_code == 200
    _apply(
        user_event(user_id, version=2, revoked_at=timezone.now()),
        django_capture_on_commit_callbacks,
    )
    assert browser.get("/admin/clients/client/").status_code == 302


def test_a_warm_cache_costs_no_query_and_a_cold_one_a_single_query(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    token = access_token(permissions=["clients.view_client"])
    client = _bearer(token)
    with django_assert_num_queries(1):  # count (nothing to page)
        assert client.get(CLIENTS).status_code == 200
    user_id = uuid.uuid4()
    _apply(
        user_event(user_id, version=2, revoked_at=timezone.now()),
        django_capture_on_commit_callbacks,
    )
    with django_assert_num_queries(2):  # the revocations, read once, then the count
        assert client.get(CLIENTS).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(CLIENTS).status_code == 200


def test_the_queue_receives_the_user_events_handled_here():
    assert handled_types() == set(revocations.USER_EVENT_TYPES)
    assert all(topology.routes_to("clients_api.events", kind) for kind in handled_types())
