"""Helpers and fixtures for the services' tests.

Tokens shaped exactly as users_api issues them, the permission-matrix helpers,
and fixtures a service's conftest imports (``from common.testing import ...``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from common import jwt_keys
from common.auth import AccessToken
from common.settings import var_dir


def access_token(
    *,
    permissions: Iterable[str] = (),
    is_superuser: bool = False,
    user_id: uuid.UUID | None = None,
    username: str = "tester",
    **claims: Any,
) -> str:
    """A signed access token with users_api's claims, for services that only verify."""
    token = AccessToken()
    subject = str(user_id or uuid.uuid4())
    token["user_id"] = subject
    token["sub"] = subject
    token["username"] = username
    token["is_superuser"] = is_superuser
    token["is_staff"] = False
    token["roles"] = []
    token["permissions"] = sorted(permissions)
    for name, value in claims.items():
        token[name] = value
    return str(token)


@dataclass(frozen=True)
class PermissionCase:
    """One endpoint and method of a service's permission matrix.

    ``code`` None means any authenticated caller; ``body`` is the request body
    (or a marker the service's test resolves); ``expected`` the success status.
    """

    method: str
    route: str
    code: str | None
    body: Any = None
    expected: int = 200

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


def api_routes(prefix: str = "api/v1/") -> Iterator[tuple[str, list[str]]]:
    """(route, methods the view implements) for every route under ``prefix``."""
    from django.urls import URLPattern, get_resolver

    for pattern in get_resolver().url_patterns:
        if str(pattern.pattern) == prefix:
            for child in pattern.url_patterns:
                if not isinstance(child, URLPattern):
                    raise TypeError(f"nested include under {prefix}: {child}")
                view = child.callback.view_class
                methods = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
                yield str(child.pattern), methods


def uncovered_routes(cases: Iterable[PermissionCase], public: set[str] = frozenset()) -> list[str]:
    """Routes and methods with no case in the matrix (public routes excepted)."""
    covered = {(case.route, case.method) for case in cases}
    return [
        f"{method.upper()} {route}"
        for route, methods in api_routes()
        for method in methods
        if route not in public and (route, method) not in covered
    ]


@pytest.fixture(autouse=True)
def sign_like_users_api(settings: Any) -> None:
    """For services that only verify tokens: sign test tokens with the development key
    pair users_api signs with, so every signature the tests send is a real RS256 one.

    Event services' tests read the outbox rather than a broker, so the fast path is off.
    """
    pair = jwt_keys.ensure_dev_key_pair(var_dir() / "jwt")
    settings.SIMPLE_JWT = {
        **settings.SIMPLE_JWT,
        "SIGNING_KEY": pair.private_pem,
        "VERIFYING_KEY": pair.public_pem,
    }
    settings.EVENTS_FAST_PATH = False


@pytest.fixture
def client_with() -> Callable[..., Any]:
    """An API client whose token carries exactly ``codes`` (or is a superuser's)."""
    from rest_framework.test import APIClient

    def make(*codes: str, superuser: bool = False) -> APIClient:
        client = APIClient()
        token = access_token(permissions=codes, is_superuser=superuser)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def admin_api(client_with: Callable[..., Any]) -> Any:
    return client_with(superuser=True)


def run_together(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Runs every call in its own thread, all released at the same moment (a race on
    purpose); returns their results in order, re-raising the first error.

    Each thread closes its database connections when it is done, so the test
    database can be dropped afterwards. Use with ``django_db(transaction=True)``.
    """
    from django.db import connections

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
