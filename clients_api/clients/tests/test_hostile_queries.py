"""Every list refuses hostile query strings with a 4xx, never a 5xx (issue #35)."""

import pytest

from clients.tests.factories import ClientFactory
from common.development.testing import hostile_query_failures

pytestmark = pytest.mark.django_db

NOT_LISTS = {"clients/<uuid:pk>/", "clients/<uuid:pk>/addresses/<uuid:aid>/"}


def test_every_list_refuses_hostile_queries(admin_api):
    kwargs = {"pk": ClientFactory().pk}
    assert hostile_query_failures(admin_api, not_lists=NOT_LISTS, kwargs=kwargs) == []
