"""Every list refuses hostile query strings with a 4xx, never a 5xx (issue #35)."""

import pytest

from common.development.testing import hostile_query_failures

pytestmark = pytest.mark.django_db

NOT_LISTS = {"orders/<uuid:pk>/", "client-snapshots/<uuid:pk>/", "product-snapshots/<uuid:pk>/"}


def test_every_list_refuses_hostile_queries(admin_api):
    assert hostile_query_failures(admin_api, not_lists=NOT_LISTS) == []
