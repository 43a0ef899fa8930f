"""Revoked tokens and sessions: a user's access tokens and admin sessions issued before
a moment are refused by every service (issue #35).

users_api publishes each user's state (``users.user.*`` events, docs/events.md), with
``tokens_revoked_at``: when the user was deactivated, lost codes or staff access,
logged out, had a refresh token reused or a password changed. Each service keeps
what it needs of it in ``Revocation`` (users_api writes its own in the change's
transaction, the others from the events) and refuses:

- an access token whose ``iat`` is at or before ``tokens_revoked_at`` (``iat`` is
  in whole seconds, so a token issued in the same second is refused too: a client
  refreshes or logs in again a second later), and every token of a deactivated user;
- likewise an admin or browsable-API session, by the ``iat`` of the token it was
  signed in with (or the second of the sign-in, in users_api's own admin).

A row is kept only as long as something it refuses can still be presented (the
longer of the access-token lifetime and ``ADMIN_SESSION_MAX_AGE``); the scheduler
prunes the rest. The hot path reads the live rows as one cache entry
(``REVOCATIONS_CACHE_SECONDS``, a query when it is missing or expired), so a
request costs one cache read and, at most every few seconds, one query.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.events.consumer import handles
from common.models import Revocation
from common.operations.housekeeping import delete_in_chunks

CACHE_KEY = "common.auth.revocations"
#: The users_api events whose data is a user's state.
USER_EVENT_TYPES = ("users.user.created", "users.user.updated", "users.user.deleted")

#: user id -> (the last second whose tokens are refused, or None; inactive)
Snapshot = dict[str, tuple[int | None, bool]]


def retention() -> timedelta:
    """How long a revocation matters: the longest a token or session it refuses lives."""
    access = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    return max(access, timedelta(seconds=settings.ADMIN_SESSION_MAX_AGE)) + timedelta(
        seconds=settings.SIMPLE_JWT.get("LEEWAY", 0)
    )


# --- writing ---------------------------------------------------------------------------


def revocation_apply(*, user_id: str, version: int, state: Mapping[str, Any]) -> bool:
    """Records what ``state`` (a ``users.user.*`` event's data: ``is_active`` and
    ``tokens_revoked_at``) revokes for ``user_id`` at ``version``, unless a version
    as new is already recorded, or there is nothing to refuse. Returns whether it was
    recorded.

    A step of the caller's transaction (the event handler's, or users_api's change):
    the processes' cached copies are dropped when it commits. Raises KeyError or
    ValueError for a state without those members.
    """
    revoked_at = state["tokens_revoked_at"]
    not_before = parse_datetime(revoked_at) if revoked_at else None
    if revoked_at and not_before is None:
        raise ValueError(f"tokens_revoked_at is not a date and time: {revoked_at!r}")
    inactive = not state["is_active"]
    now = timezone.now()
    current = Revocation.objects.select_for_update().filter(user_id=str(user_id)).first()
    if current is not None and current.version >= version:
        return False
    if current is None and not_before is None and not inactive:
        return False  # nothing to refuse, nothing refused before
    # Written as found under the lock above; two first revocations of one user racing
    # (competing workers) make one fail on the key, and its event is retried.
    row = current or Revocation(user_id=str(user_id))
    row.version = version
    row.not_before = not_before
    row.inactive = inactive
    row.keep_until = (not_before or now) + retention()
    row.save(force_insert=current is None)
    transaction.on_commit(forget_cached, robust=True)
    return True


def apply_user_event(envelope: dict[str, Any]) -> None:
    """The consumers' handler of ``users.user.*`` (``consume()`` registers it)."""
    revocation_apply(
        user_id=envelope["aggregate_id"], version=int(envelope["version"]), state=envelope["data"]
    )


def consume() -> None:
    """Makes this process apply users_api's user events (a consuming service's
    ``register()`` calls it; its queue is bound to ``users.user.*``)."""
    handles(*USER_EVENT_TYPES)(apply_user_event)


def prune_revocations(*, now: datetime | None = None) -> int:
    """Rows whose ``keep_until`` has passed: nothing they refuse is alive any more."""
    return delete_in_chunks(Revocation.objects.filter(keep_until__lt=now or timezone.now()))


def forget_cached() -> None:
    """Drops the cached copy, so the next request reads the table (in every process
    when the cache is shared, ``CACHE_URL``; otherwise the others' copies expire)."""
    cache.delete(CACHE_KEY)


# --- reading (the hot path) -----------------------------------------------------------


def snapshot() -> Snapshot:
    """The live revocations, from the cache, or from the table (one query) and cached
    for ``REVOCATIONS_CACHE_SECONDS``."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    now = timezone.now()
    rows = Revocation.objects.filter(keep_until__gte=now).filter(
        Q(inactive=True) | Q(not_before__isnull=False)
    )
    loaded: Snapshot = {
        user_id: (int(not_before.timestamp()) if not_before else None, inactive)
        for user_id, not_before, inactive in rows.values_list("user_id", "not_before", "inactive")
    }
    cache.set(CACHE_KEY, loaded, settings.REVOCATIONS_CACHE_SECONDS)
    return loaded


def is_revoked(*, user_id: Any, issued_at: Any) -> bool:
    """Whether a token or session of ``user_id`` issued at ``issued_at`` (seconds since
    the epoch; None when unknown, taken as before any revocation) is refused."""
    entry = snapshot().get(str(user_id))
    if entry is None:
        return False
    last_refused_second, inactive = entry
    if inactive:
        return True
    if last_refused_second is None:
        return False
    return not isinstance(issued_at, int | float) or int(issued_at) <= last_refused_second
