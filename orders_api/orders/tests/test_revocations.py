"""Issue #35: users_api's user events reach this service's queue and revoke the user's
older tokens and admin sessions here (common.revocations; clients_api's tests cover the
rest of the rule)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from common import revocations
from common.events import topology
from common.events.consumer import handled_types, process_event
from common.testing import access_token, user_event

pytestmark = pytest.mark.django_db

LIST = "/api/v1/orders/"


def _get(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(LIST)


def test_the_queue_receives_the_user_events_handled_here():
    assert set(revocations.USER_EVENT_TYPES) <= handled_types()
    assert all(
        topology.routes_to("orders_api.events", kind) for kind in revocations.USER_EVENT_TYPES
    )


def test_a_token_older_than_the_revocation_is_refused_a_newer_one_works(
    django_capture_on_commit_callbacks,
):
    user_id = uuid.uuid4()
    revoked_at = timezone.now() - timedelta(seconds=30)
    second = int(revoked_at.timestamp())
    older = access_token(user_id=user_id, permissions=["orders.view_order"], iat=second - 60)
    newer = access_token(user_id=user_id, permissions=["orders.view_order"], iat=second + 1)
    assert _get(older).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert process_event(user_event(user_id, version=2, revoked_at=revoked_at))
    refused = _get(older)
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert _get(newer).status_code == 200


def test_an_admin_session_of_a_deactivated_user_ends(
    admin_signed_in, django_capture_on_commit_callbacks
):
    user_id = uuid.uuid4()
    browser = admin_signed_in("orders.view_order", user_id=user_id)
    assert browser.get("/admin/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert process_event(
            user_event(user_id, version=2, revoked_at=timezone.now(), is_active=False)
        )
    response = browser.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
