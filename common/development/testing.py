"""The pytest plugin every project's tests load (``-p common.development.testing`` in pytest.ini, so
that its first hook runs before pytest-django reads the settings), and helpers they
import.

Fixtures: English messages unless a test is marked ``default_language``, an empty
cache per test, the readiness checks' kept connections closed after it,
``api_client``; for the services that only verify tokens, test tokens signed like
users_api's, ``client_with``/``admin_api`` clients holding given permission codes,
and a fake users_api their admin signs in against (a project's own conftest or
module overrides any of them by name). Helpers: tokens shaped
exactly as users_api issues them, users_api's user events, ``permission_matrix`` (the
permission tests made from a service's table), the checks of a squashed migration
(``migrations_run_forward``), ``run_together``, ``walk_as_html``,
``error_texts_not_in_portuguese`` and ``unavailable``.

The end-to-end suite runs without Django settings (its services are separate
processes), so nothing here touches Django or DRF until settings exist.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest
from django.conf import settings as django_settings

from common.auth import jwt_keys
from common.development.devfiles import ensure_dev_files
from common.settings.environment import jwt_dir

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(message: str) -> NoReturn:
    """Ends a test that needs something this machine lacks: a failure on CI, where
    everything a test needs must be there, and a skip naming ``message`` elsewhere."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: list[str]) -> None:
    """Before pytest-django reads the settings: the development files they read."""
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE")
    if settings_module:
        # <service>.settings; common's test project is common.tests.settings (common_tests).
        ensure_dev_files(settings_module.removesuffix(".settings").replace(".", "_"))


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers",
        "default_language: run in the services' default language (pt-br), not in English",
    )


@pytest.fixture(autouse=True)
def _english_unless_asked(request: Any) -> Iterator[None]:
    """The tests read the services' messages in English, as a client sending
    ``Accept-Language: en`` would; tests marked ``default_language`` see what a request
    without a preference gets (docs/api.md: Brazilian Portuguese)."""
    if not django_settings.configured or request.node.get_closest_marker("default_language"):
        yield
        return
    from django.test import override_settings
    from django.utils import translation

    with override_settings(LANGUAGE_CODE="en"), translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # Throttle counters live in the cache; each test starts from zero. Its database
    # starts without revocations, and the cache says so, as a running process's would
    # (common.auth.revocations): a request costs the same queries in every test.
    if django_settings.configured:
        from django.core.cache import cache

        from common.auth import revocations

        cache.clear()
        cache.set(revocations.CACHE_KEY, {}, None)


@pytest.fixture(autouse=True)
def _readiness_connections_closed() -> Iterator[None]:
    """/readyz keeps its checks' database connections between asks; each test's are
    closed after it, before pytest-django drops the test database (nobody may be
    connected then)."""
    yield
    health = sys.modules.get("common.operations.health")
    if health is not None:
        health.close_check_connections()


@pytest.fixture
def api_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


def access_token(
    *,
    permissions: Iterable[str] = (),
    is_superuser: bool = False,
    user_id: uuid.UUID | None = None,
    username: str = "tester",
    **claims: Any,
) -> str:
    """A signed access token with users_api's claims, for services that only verify."""
    from common.auth.access import AccessToken

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


def user_event(
    user_id: uuid.UUID,
    *,
    version: int,
    revoked_at: Any = None,
    is_active: bool = True,
    event_type: str = "users.user.updated",
) -> dict[str, Any]:
    """A ``users.user.*`` event as users_api publishes it (users.events), for the
    services that consume it (common.auth.revocations); ``revoked_at`` a datetime or None."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "users_api",
        "aggregate_id": str(user_id),
        "version": version,
        "occurred_at": "2026-01-01T00:00:00Z",
        "correlation_id": None,
        "data": {
            "id": str(user_id),
            "username": "ana",
            "is_active": is_active,
            "is_staff": True,
            "is_superuser": False,
            "tokens_revoked_at": revoked_at.isoformat() if revoked_at else None,
        },
    }


def one_page(*results: Any) -> dict[str, Any]:
    """A list response's body holding ``results``, all of them on its only page."""
    return {"count": len(results), "next": None, "previous": None, "results": list(results)}


#: What the server generates in a body (see ``without_generated``).
GENERATED = frozenset({"id", "created_at", "updated_at"})


def without_generated(body: Any) -> Any:
    """``body`` without what the server generates (ids, timestamps), at any depth."""
    if isinstance(body, list):
        return [without_generated(value) for value in body]
    if isinstance(body, dict):
        return {
            key: without_generated(value) for key, value in body.items() if key not in GENERATED
        }
    return body


def error_texts_not_in_portuguese(codes: Iterable[str]) -> dict[str, str]:
    """The problem codes among ``codes`` a Brazilian reader would read in English:
    ``{code: why}`` for a code without texts (``common.api.errors.register_error_texts``)
    or whose pt-BR title or detail is its English one. Empty when all are translated."""
    from django.utils import translation

    from common.api.errors import ERROR_TEXTS

    def read(code: str, language: str) -> tuple[str, str]:
        with translation.override(language):
            text = ERROR_TEXTS[code]
            return str(text.title), str(text.detail)

    found: dict[str, str] = {}
    for code in map(str, codes):
        if code not in ERROR_TEXTS:
            found[code] = "no texts registered"
            continue
        (en_title, en_detail), (pt_title, pt_detail) = read(code, "en"), read(code, "pt-br")
        if pt_title == en_title:
            found[code] = f"title {en_title!r} is not translated"
        elif pt_detail == en_detail:
            found[code] = f"detail {en_detail!r} is not translated"
    return found


@dataclass(frozen=True)
class PermissionCase:
    """One endpoint and method of a service's permission matrix.

    ``code`` None means any authenticated caller; ``body`` is the request body
    (or a marker the service's test resolves); ``expected`` the success status;
    ``queries`` the most SQL queries the successful request may run (its budget:
    a second fetch of the same row shows up as a failure).
    """

    method: str
    route: str
    code: str | None
    body: Any = None
    expected: int = 200
    queries: int | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


def api_routes(prefix: str = "api/v1/") -> Iterator[tuple[str, list[str]]]:
    """(route, methods the view implements) for every route under ``prefix``."""
    from django.urls import URLPattern, get_resolver

    def methods(view: type) -> list[str]:
        return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]

    for pattern in get_resolver().url_patterns:
        if str(pattern.pattern) != prefix:
            continue
        if isinstance(pattern, URLPattern):  # the API's root, at the prefix itself
            yield "", methods(pattern.callback.view_class)
            continue
        for child in pattern.url_patterns:
            if not isinstance(child, URLPattern):
                raise TypeError(f"nested include under {prefix}: {child}")
            yield str(child.pattern), methods(child.callback.view_class)


def write_requests(prefix: str = "api/v1/") -> Iterator[tuple[str, str]]:
    """(method, path) of every write (POST, PUT, PATCH) under ``prefix``, each of the
    route's UUIDs a new one: what a test walks so that a new endpoint is not left out."""
    for route, methods in api_routes(prefix):
        path = "/" + prefix + re.sub(r"<uuid:\w+>", lambda _: str(uuid.uuid4()), route)
        for method in methods:
            if method in {"post", "put", "patch"}:
                yield method, path


def unknown_field_answers(client: Any, field: str = "nome") -> dict[str, tuple[int, Any]]:
    """Sends ``{field: "X"}`` as ``client`` to every write (``write_requests``); returns
    ``{"METHOD path": (status, the body's errors[field])}``."""
    answers = {}
    for method, path in write_requests():
        response = getattr(client, method)(path, {field: "X"}, format="json")
        answers[f"{method.upper()} {path}"] = (
            response.status_code,
            response.json().get("errors", {}).get(field),
        )
    return answers


def uncovered_routes(cases: Iterable[PermissionCase], public: set[str] = frozenset()) -> list[str]:
    """Routes and methods with no case in the matrix (public routes excepted)."""
    covered = {(case.route, case.method) for case in cases}
    return [
        f"{method.upper()} {route}"
        for route, methods in api_routes()
        for method in methods
        if route not in public and (route, method) not in covered
    ]


def permission_matrix(
    *,
    cases: Sequence[PermissionCase],
    catalogue: Iterable[str],
    request: Callable[[PermissionCase, Any], tuple[str, Any]],
    holding: Callable[[Callable[..., Any], Sequence[str]], Any] | None = None,
    public: Sequence[PermissionCase] = (),
) -> type:
    """A service's permission-matrix tests, made from its table: a class for pytest to
    collect (``TestPermissionMatrix = permission_matrix(...)`` in a test module).

    For every case of ``cases``: without a token, 401 ``not_authenticated``; holding every
    code of ``catalogue`` but the case's (cases that need one), 403
    ``permission_denied``; holding exactly the case's code, its expected status within
    its query budget; as a superuser, its expected status. Every case of ``public`` (open
    to anyone) answers its expected status within its budget without a token. Every
    route under api/v1/ is in one table or the other (``uncovered_routes``).

    ``request(case, client)`` makes the rows the case's route names and returns
    ``(url, body)`` for ``client`` (its queries are not counted); ``holding(client_with,
    codes)`` returns a client holding exactly ``codes`` (by default
    ``client_with(*codes)``, the ``client_with`` fixture).
    """
    codes = frozenset(catalogue)

    def holder(client_with: Callable[..., Any], held: Sequence[str]) -> Any:
        return holding(client_with, held) if holding else client_with(*held)

    def send(client: Any, case: PermissionCase, budget: Callable[..., Any] | None = None) -> Any:
        url, body = request(case, client)
        with budget(case.queries) if budget else contextlib.nullcontext():
            return getattr(client, case.method)(url, body, format="json")

    def within_budget(client: Any, case: PermissionCase, budget: Callable[..., Any]) -> None:
        assert case.queries is not None, f"{case} has no query budget"
        response = send(client, case, budget)
        assert response.status_code == case.expected, response.content

    every_case = pytest.mark.parametrize("case", list(cases), ids=str)

    class TestPermissionMatrix:
        @every_case
        def test_without_a_token_is_401(self, api_client: Any, case: PermissionCase) -> None:
            response = send(api_client, case)
            assert response.status_code == 401, response.content
            assert response.json()["code"] == "not_authenticated"

        @pytest.mark.parametrize("case", [case for case in cases if case.code], ids=str)
        def test_without_the_code_is_403(self, client_with: Any, case: PermissionCase) -> None:
            response = send(holder(client_with, sorted(codes - {case.code})), case)
            assert response.status_code == 403, response.content
            assert response.json()["code"] == "permission_denied"

        @every_case
        def test_with_the_code_succeeds_within_its_query_budget(
            self, client_with: Any, django_assert_max_num_queries: Any, case: PermissionCase
        ) -> None:
            client = holder(client_with, [case.code] if case.code else [])
            within_budget(client, case, django_assert_max_num_queries)

        @every_case
        def test_a_superuser_passes(self, client_with: Any, case: PermissionCase) -> None:
            response = send(client_with(superuser=True), case)
            assert response.status_code == case.expected, response.content

        if public:

            @pytest.mark.parametrize("case", list(public), ids=str)
            def test_public_routes_succeed_within_their_query_budget(
                self, api_client: Any, django_assert_max_num_queries: Any, case: PermissionCase
            ) -> None:
                within_budget(api_client, case, django_assert_max_num_queries)

        def test_every_route_is_in_the_matrix(self) -> None:
            assert uncovered_routes(cases, {case.route for case in public}) == []

    return TestPermissionMatrix


@pytest.fixture(autouse=True)
def sign_like_users_api(request: Any) -> None:
    """For services that only verify tokens (no signing key of their own): sign test
    tokens with the development key pair users_api signs with, so every signature the
    tests send is a real RS256 one. Projects that sign (users_api, common's) keep theirs.
    """
    if not django_settings.configured or django_settings.SIMPLE_JWT["SIGNING_KEY"]:
        return
    settings = request.getfixturevalue("settings")
    pair = jwt_keys.ensure_dev_key_pair(jwt_dir())
    settings.SIMPLE_JWT = {
        **settings.SIMPLE_JWT,
        "SIGNING_KEY": pair.private_pem,
        "VERIFYING_KEY": pair.public_pem,
    }


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


def squash_matches_what_it_replaces(*, app_label: str, squash: str) -> bool:
    """Whether ``app_label``'s models after its squashed migration ``squash`` are exactly
    what they are after the last migration it replaces (fields, labels, options)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, replace_migrations=False)
    replaced = loader.get_migration(app_label, squash).replaces[-1]

    def models(node: tuple[str, str]) -> dict[Any, Any]:
        state = loader.project_state(node)
        return {key: model for key, model in state.models.items() if key[0] == app_label}

    return models((app_label, squash)) == models(replaced)


def migrations_after(*, app_label: str, squash: str) -> list[str]:
    """``app_label``'s migrations that follow its squashed migration ``squash``, in order."""
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None).graph
    (leaf,) = graph.leaf_nodes(app_label)
    plan = graph.forwards_plan(leaf)
    return [name for app, name in plan[plan.index((app_label, squash)) + 1 :] if app == app_label]


def migrations_run_forward(*, app_label: str, squash: str, start: str) -> list[str]:
    """What the current code runs of ``app_label``'s migrations on the test database, made
    as ``start`` says: ``"nothing"`` (a new database), ``"replaced"`` (the migrations
    ``squash`` replaces applied under their own names, as the code before the squash left
    them, none after them) or ``"today"`` (every migration applied, those under their
    own names). Fails the test unless the database then records ``squash`` as applied.

    The database is taken back to zero for ``app_label`` (and what depends on it) first,
    and left with every migration applied. Use with ``django_db(transaction=True)``.
    """
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    def latest(executor: MigrationExecutor) -> list[tuple[str, str]]:
        loader = executor.loader
        return [key for key in loader.graph.leaf_nodes() if not loader.get_migration(*key).replaces]

    MigrationExecutor(connection).migrate([(app_label, None)])
    try:
        if start != "nothing":
            # The code before the squash: its migrations, each under its own name.
            before = MigrationExecutor(connection)
            before.loader = MigrationLoader(connection, replace_migrations=False)
            replaced = before.loader.get_migration(app_label, squash).replaces[-1]
            before.migrate([replaced] if start == "replaced" else latest(before))
            # Migrating records a squash whose replaced migrations are all applied; the
            # code before it knew no such migration.
            MigrationRecorder(connection).record_unapplied(app_label, squash)
        now = MigrationExecutor(connection)
        plan = now.migration_plan(latest(now))
    finally:
        now = MigrationExecutor(connection)
        now.migrate(latest(now))
    if (app_label, squash) not in MigrationRecorder(connection).applied_migrations():
        pytest.fail(f"{squash} not recorded as applied")
    return [migration.name for migration, _ in plan if migration.app_label == app_label]


def squashed_migration_tests(*, app_label: str, squash: str) -> type:
    """The tests of ``app_label``'s squashed migration ``squash``, as a class to assign to
    a ``Test…`` name in the service's tests: the squash ends where the migrations it
    replaces end, and a new database, one at the last replaced migration and one at
    today's state (every migration applied under its own name) each migrate forward and
    record the squash, so existing databases need nothing done by hand."""

    class TestSquashedMigration:
        def test_the_squash_ends_where_the_migrations_it_replaces_end(self) -> None:
            assert squash_matches_what_it_replaces(app_label=app_label, squash=squash)

        @pytest.mark.django_db(transaction=True)
        @pytest.mark.parametrize(
            ("start", "then"),
            [
                ("nothing", lambda later: [squash, *later]),  # a new database: all of it
                ("replaced", lambda later: later),  # the replaced ones applied: the rest
                ("today", lambda later: []),  # every migration of today applied: none
            ],
            ids=["new", "at-the-replaced", "today"],
        )
        def test_a_database_migrates_forward_and_records_the_squash(
            self, start: str, then: Callable[[list[str]], list[str]]
        ) -> None:
            later = migrations_after(app_label=app_label, squash=squash)
            assert later  # the migrations after the squash keep depending on what it replaces
            ran = migrations_run_forward(app_label=app_label, squash=squash, start=start)
            assert ran == then(later)

    return TestSquashedMigration


class FakeUsersApi:
    """A stand-in for users_api's ``POST /api/v1/auth/token`` on a free local port.

    ``accounts`` maps username to (password, claims); a known username with the
    right password gets an access token signed like users_api's (``claims`` over
    ``access_token``'s defaults), anything else 401. ``answer`` forces a reply
    (status, body, headers) for every request instead.
    """

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[str, dict[str, Any]]] = {}
        self.answer: tuple[int, Any, dict[str, str]] | None = None
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body, "headers": self.headers})
                status, payload, headers = fake.answer or fake._login(body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.stopped = False
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, username: str, password: str, **claims: Any) -> None:
        """An account; ``claims`` as in ``access_token`` (``is_staff`` True unless given)."""
        self.accounts[username] = (password, {"is_staff": True, **claims})

    def _login(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        password, claims = self.accounts.get(body.get("username"), (None, {}))
        if password is None or body.get("password") != password:
            return 401, {"status": 401, "code": "invalid_credentials"}, {}
        return 200, {"access": access_token(username=body["username"], **claims)}, {}

    def stop(self) -> None:
        """Closes the port: from now on users_api cannot be reached."""
        if not self.stopped:
            self.server.shutdown()
            self.server.server_close()
            self.stopped = True


@pytest.fixture
def users_api(settings: Any) -> Iterator[FakeUsersApi]:
    """A fake users_api this service's admin signs in against (``USERS_API_URL``)."""
    fake = FakeUsersApi()
    settings.USERS_API_URL = fake.url
    yield fake
    fake.stop()


ADMIN_PASSWORD = "Senha-Boa-2026"  # noqa: S105 - the fake users_api's test accounts


@pytest.fixture
def admin_signed_in(users_api: FakeUsersApi) -> Callable[..., Any]:
    """A test browser signed in to the admin as a users_api staff account whose token
    carries exactly ``codes`` (and ``claims``, e.g. ``is_superuser=True``)."""
    from django.test import Client as Browser

    def sign_in(*codes: str, username: str = "ana", **claims: Any) -> Browser:
        users_api.add(username, ADMIN_PASSWORD, permissions=list(codes), **claims)
        browser = Browser()
        response = browser.post(
            "/admin/login/?next=/admin/", {"username": username, "password": ADMIN_PASSWORD}
        )
        if response.status_code != 302:
            pytest.fail(f"sign-in refused:\n{response.content.decode()[-3000:]}")
        return browser

    return sign_in


def user_events_reach(queue: str) -> bool:
    """Whether this process handles users_api's user events and ``queue`` receives them
    (issue #35: every service learns of revocations)."""
    from common.auth import revocations
    from common.events import topology
    from common.events.consumer import handled_types

    return set(revocations.USER_EVENT_TYPES) <= handled_types() and all(
        topology.routes_to(queue, kind) for kind in revocations.USER_EVENT_TYPES
    )


def token_revocation_answers(
    *, url: str, code: str, capture: Callable[..., Any]
) -> tuple[int, tuple[int, str], int]:
    """GET ``url`` with a token carrying ``code`` issued before a user's revocation
    (before and after its event is applied) and with one issued after it:
    ``(older before, (older after, its problem code), newer after)``. ``capture`` is
    pytest-django's ``django_capture_on_commit_callbacks``."""
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.test import APIClient

    from common.events.consumer import process_event

    def get(token: str) -> Any:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.get(url)

    user_id = uuid.uuid4()
    revoked_at = timezone.now() - timedelta(seconds=30)
    second = int(revoked_at.timestamp())
    older = access_token(user_id=user_id, permissions=[code], iat=second - 60)
    newer = access_token(user_id=user_id, permissions=[code], iat=second + 1)
    before = get(older).status_code
    with capture(execute=True):
        if not process_event(user_event(user_id, version=2, revoked_at=revoked_at)):
            pytest.fail("the user event was not applied")
    refused = get(older)
    refused_code = refused.json().get("code", "") if refused.status_code >= 400 else ""
    return before, (refused.status_code, refused_code), get(newer).status_code


def revoked_session_answers(
    *, sign_in: Callable[..., Any], code: str, capture: Callable[..., Any]
) -> tuple[int, int, str]:
    """An admin signed in (``sign_in``: the ``admin_signed_in`` fixture) with ``code``,
    then deactivated by users_api's event: ``(admin before, admin after, where after
    sends them)``."""
    from django.utils import timezone

    from common.events.consumer import process_event

    user_id = uuid.uuid4()
    browser = sign_in(code, user_id=user_id)
    before = browser.get("/admin/").status_code
    with capture(execute=True):
        event = user_event(user_id, version=2, revoked_at=timezone.now(), is_active=False)
        if not process_event(event):
            pytest.fail("the user event was not applied")
    after = browser.get("/admin/")
    return before, after.status_code, after.get("Location", "")


#: A browser's request headers: HTML first, and English (the tests read its messages).
HTML = {
    "HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "HTTP_ACCEPT_LANGUAGE": "en",
}


def walk_as_html(
    browser: Any, path_values: dict[str, dict[str, Any]]
) -> dict[str, tuple[int, str]]:
    """GETs every URL pattern of the service but the admin's as a browser does (HTML
    first), and asks it OPTIONS (the page's button); returns ``{path: (status, content
    type)}`` (``{"OPTIONS <path>": ...}`` for the latter).

    ``path_values`` gives, by URL name, the values of the pattern's converters
    (``{"client-detail": {"pk": ...}}``). A pattern with converters and no values
    fails the test, so a new endpoint is walked as soon as it exists. Each such
    pattern is also walked with fresh UUIDs, where nothing lives.
    """
    from django.urls import URLPattern, URLResolver, get_resolver, reverse

    def patterns(resolver: URLResolver) -> Iterator[URLPattern]:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern) != "admin/":
                    yield from patterns(pattern)
            else:
                yield pattern

    answers = {}
    for pattern in patterns(get_resolver()):
        converters = pattern.pattern.converters
        if not converters:
            paths = [reverse(pattern.name)]
        elif pattern.name not in path_values:
            pytest.fail(f"walk_as_html: no values for {pattern.name} ({pattern.pattern})")
        else:
            nowhere = {name: uuid.uuid4() for name in converters}
            paths = [
                reverse(pattern.name, kwargs=path_values[pattern.name]),
                reverse(pattern.name, kwargs=nowhere),
            ]
        for path in paths:
            response = browser.get(path, **HTML)
            answers[path] = (response.status_code, response.get("Content-Type", ""))
            response = browser.options(path, **HTML)
            answers[f"OPTIONS {path}"] = (response.status_code, response.get("Content-Type", ""))
    return answers


#: Query strings every list is fed (issue #35): each refused with a 400 where the list
#: takes the parameter, and nothing ever answers a 5xx. Filters get their own, by type.
SEARCH_PROBES = (
    "search=" + "+".join(f"t{n}" for n in range(1000)),
    "search=" + "x" * 10_000,
    "search=" + ",".join("ab" for _ in range(80)),
)
ORDERING_PROBES = ("ordering=nope", "ordering=-nope", "ordering=created_at,nope")
PAGE_PROBES = (
    "limit=-1",
    "limit=0",
    "limit=abc",
    "limit=1.5",
    "offset=abc",
    "offset=-5",
    "offset=" + "9" * 30,
)


def _filter_probe(name: str, list_filter: Any) -> str | None:
    """A value of the wrong type for ``list_filter``; None for text, which takes any."""
    import django_filters

    by_type = [
        (django_filters.BooleanFilter, "maybe"),
        (django_filters.UUIDFilter, "not-a-uuid"),
        (django_filters.NumberFilter, "lots"),
        (django_filters.IsoDateTimeFilter, "garbage"),
        (django_filters.ChoiceFilter, "alien"),
        (django_filters.CharFilter, None),
    ]
    for filter_class, value in by_type:
        if isinstance(list_filter, filter_class):
            return None if value is None else f"{name}={value}"
    pytest.fail(f"no wrong-type probe for the filter {name} ({type(list_filter).__name__})")


def list_probes(route: str, kwargs: dict[str, Any]) -> list[tuple[str, bool]]:
    """(query string, refused) for the list at ``route``: ``refused`` when its view
    takes the parameter, so a 400 is due; otherwise anything but a 5xx will do."""
    from django.urls import resolve
    from django_filters.rest_framework import DjangoFilterBackend
    from rest_framework.filters import OrderingFilter

    from common.api.filters import SearchLimits

    view = resolve(f"/api/v1/{route_path(route, kwargs)}").func.view_class(kwargs=kwargs)
    backends = list(view.filter_backends)
    probes = [(query, True) for query in PAGE_PROBES]
    searched = any(issubclass(backend, SearchLimits) for backend in backends)
    probes += [(query, searched) for query in SEARCH_PROBES]
    ordered = any(issubclass(backend, OrderingFilter) for backend in backends)
    probes += [(query, ordered) for query in ORDERING_PROBES]
    for backend in backends:
        if issubclass(backend, DjangoFilterBackend):
            filterset = backend().get_filterset_class(view, view.get_queryset())
            for name, list_filter in (filterset.base_filters if filterset else {}).items():
                probe = _filter_probe(name, list_filter)
                probes += [(probe, True)] if probe else [(f"{name}={'x' * 10_000}", False)]
    return probes


def route_path(route: str, kwargs: dict[str, Any]) -> str:
    """``route`` (``clients/<uuid:pk>/addresses/``) with its converters' values."""
    import re

    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(kwargs[match.group(1)]), route)


def list_routes(not_lists: set[str]) -> list[str]:
    """Every route under api/v1/ that answers GET, but the API's root and ``not_lists``: a
    new list is in."""
    return [
        route
        for route, methods in api_routes()
        if route and "get" in methods and route not in not_lists
    ]


def hostile_query_failures(
    client: Any, *, not_lists: set[str], kwargs: dict[str, Any] | None = None
) -> list[str]:
    """Feeds every list of the service (``list_routes``) its ``list_probes`` as
    ``client``; returns what went wrong, one line each (empty: all well).

    A list must answer a page when asked plainly; a probe it takes must be a 400
    problem naming the parameter in ``errors``; no probe may answer a 5xx.
    ``kwargs`` gives the values of nested lists' converters.
    """
    kwargs = kwargs or {}
    failures = []
    for route in list_routes(not_lists):
        url = f"/api/v1/{route_path(route, kwargs)}"
        plain = client.get(url)
        if plain.status_code != 200 or "results" not in plain.json():
            failures.append(f"{url}: {plain.status_code}, not a page (a list? else in not_lists)")
            continue
        for query, refused in list_probes(route, kwargs):
            response = client.get(f"{url}?{query}")
            param = query.split("=", 1)[0]
            shown = f"{url}?{query[:40]}: {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{shown}, a server error")
            elif refused and (
                response.status_code != 400
                or response["Content-Type"] != "application/problem+json"
                or param not in response.json().get("errors", {})
            ):
                failures.append(f"{shown}, not a 400 problem naming {param}")
    return failures


def inline_scripts(page: str) -> list[str]:
    """The script a page writes into itself (``<script>`` without ``src``, ``on...=``
    attributes), which the Content-Security-Policy does not let run; JSON data blocks
    are not scripts."""
    import re

    tags = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page, re.I)
    return tags + re.findall(r"<[^>]+\son[a-z]+\s*=", page, re.I)
