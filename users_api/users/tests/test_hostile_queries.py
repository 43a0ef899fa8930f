"""Every list refuses hostile query strings with a 4xx, never a 5xx (issue #35)."""

import pytest

from common.development.testing import hostile_query_failures

pytestmark = pytest.mark.django_db

NOT_LISTS = {"auth/jwks", "users/me", "users/<uuid:pk>/", "roles/<uuid:pk>/"}


def test_every_list_refuses_hostile_queries(client_with):
    assert hostile_query_failures(client_with(superuser=True), not_lists=NOT_LISTS) == []
