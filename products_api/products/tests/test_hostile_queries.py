"""Every list refuses hostile query strings with a 4xx, never a 5xx (issue #35)."""

import pytest

from common.development.testing import hostile_query_failures
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

NOT_LISTS = {"products/<uuid:pk>/"}


def test_every_list_refuses_hostile_queries(admin_api):
    kwargs = {"pk": ProductFactory().pk}
    assert hostile_query_failures(admin_api, not_lists=NOT_LISTS, kwargs=kwargs) == []
