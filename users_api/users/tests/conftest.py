from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from users.tests.factories import UserFactory, tokens


@pytest.fixture(autouse=True)
def _fast_argon2(settings):
    # Same Argon2id algorithm, test-sized cost: hashes stay real, tests stay fast.
    settings.PASSWORD_HASHERS = ["users.tests.hashers.FastArgon2Hasher"]


@pytest.fixture
def tokens_for() -> Callable:
    """Logs a user in through the real service and returns its token pair."""
    return tokens


@pytest.fixture
def client_with(db, tokens_for) -> Callable[..., APIClient]:
    """An API client logged in as a fresh user holding exactly ``codes``."""

    def make(*codes, superuser=False, user=None):
        user = user or UserFactory(grants=list(codes), is_superuser=superuser)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user).access}")
        client.user = user
        return client

    return make
