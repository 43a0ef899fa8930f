"""Issue #35: users_api's user events reach this service's queue and revoke the user's
older tokens and admin sessions here (common.auth.revocations; clients_api's tests cover the
rest of the rule)."""

import pytest

from common.development.testing import (
    revoked_session_answers,
    token_revocation_answers,
    user_events_reach,
)

pytestmark = pytest.mark.django_db


def test_the_queue_receives_the_user_events_handled_here():
    assert user_events_reach("orders_api.events")


def test_a_token_older_than_the_revocation_is_refused_a_newer_one_works(
    django_capture_on_commit_callbacks,
):
    answers = token_revocation_answers(
        url="/api/v1/orders/",
        code="orders.view_order",
        capture=django_capture_on_commit_callbacks,
    )
    assert answers == (200, (401, "token_revoked"), 200)


def test_an_admin_session_of_a_deactivated_user_ends(
    admin_signed_in, django_capture_on_commit_callbacks
):
    before, after, location = revoked_session_answers(
        sign_in=admin_signed_in,
        code="orders.view_order",
        capture=django_capture_on_commit_callbacks,
    )
    assert (before, after) == (200, 302) and location.startswith("/admin/login/")
