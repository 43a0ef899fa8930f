"""The revocation store (common.auth.revocations): what a user's state revokes, the version
gate, how long a row is kept, and the rule tokens and sessions are judged by."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from common.auth import revocations
from common.models import Revocation

pytestmark = pytest.mark.django_db


def _state(revoked_at=None, *, is_active=True):
    return {
        "is_active": is_active,
        "tokens_revoked_at": revoked_at.isoformat() if revoked_at else None,
    }


def _apply(user_id, version, state, capture):
    with capture(execute=True):
        return revocations.revocation_apply(user_id=user_id, version=version, state=state)


def test_tokens_of_the_revoked_second_and_before_are_refused_later_ones_not(
    django_capture_on_commit_callbacks,
):
    user_id = str(uuid.uuid4())
    revoked_at = timezone.now().replace(microsecond=500_000)
    second = int(revoked_at.timestamp())
    assert _apply(user_id, 2, _state(revoked_at), django_capture_on_commit_callbacks)
    assert revocations.is_revoked(user_id=user_id, issued_at=second - 100)
    assert revocations.is_revoked(user_id=user_id, issued_at=second)
    assert revocations.is_revoked(user_id=user_id, issued_at=None)  # a session of old
    assert not revocations.is_revoked(user_id=user_id, issued_at=second + 1)
    assert not revocations.is_revoked(user_id=str(uuid.uuid4()), issued_at=second - 100)


def test_an_inactive_user_is_refused_until_a_newer_version_reactivates(
    django_capture_on_commit_callbacks,
):
    user_id = str(uuid.uuid4())
    revoked_at = timezone.now() - timedelta(minutes=1)
    later = int(timezone.now().timestamp()) + 1
    _apply(user_id, 3, _state(revoked_at, is_active=False), django_capture_on_commit_callbacks)
    assert revocations.is_revoked(user_id=user_id, issued_at=later)
    assert not _apply(user_id, 3, _state(revoked_at), django_capture_on_commit_callbacks)
    assert revocations.is_revoked(user_id=user_id, issued_at=later)
    assert _apply(user_id, 4, _state(revoked_at), django_capture_on_commit_callbacks)
    assert not revocations.is_revoked(user_id=user_id, issued_at=later)


def test_a_row_is_kept_as_long_as_a_token_or_session_it_refuses_lives(settings):
    settings.ADMIN_SESSION_MAX_AGE = 3600
    revoked_at = timezone.now()
    revocations.revocation_apply(user_id="u1", version=2, state=_state(revoked_at))
    row = Revocation.objects.get(user_id="u1")
    assert row.keep_until == revoked_at + timedelta(seconds=3600 + 5)  # the session, leeway
    assert revocations.prune_revocations(now=row.keep_until) == 0
    assert revocations.prune_revocations(now=row.keep_until + timedelta(seconds=1)) == 1


def test_a_state_without_its_members_is_refused():
    with pytest.raises(KeyError):
        revocations.revocation_apply(user_id="u1", version=2, state={"is_active": True})
    with pytest.raises(ValueError, match="not a date"):
        revocations.revocation_apply(
            user_id="u1", version=2, state={"is_active": True, "tokens_revoked_at": "soon"}
        )
