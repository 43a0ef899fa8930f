from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from common import jwt_keys
from common.settings import var_dir
from common.testing import access_token


@pytest.fixture(autouse=True)
def _sign_like_users_api(settings):
    # clients_api only verifies tokens; the tests sign with the development key pair
    # that users_api signs with, so the signatures are real RS256 ones.
    pair = jwt_keys.ensure_dev_key_pair(var_dir() / "jwt")
    settings.SIMPLE_JWT = {
        **settings.SIMPLE_JWT,
        "SIGNING_KEY": pair.private_pem,
        "VERIFYING_KEY": pair.public_pem,
    }
    settings.EVENTS_FAST_PATH = False  # the tests read the outbox; no broker needed


@pytest.fixture
def client_with() -> Callable[..., APIClient]:
    def make(*codes: str, superuser: bool = False) -> APIClient:
        client = APIClient()
        token = access_token(permissions=codes, is_superuser=superuser)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def admin_api(client_with) -> APIClient:
    return client_with(superuser=True)
