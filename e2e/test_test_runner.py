"""`make test` (scripts/run_tests.py) leaves alone the Redis server others use: the tests
empty only a server the run started for itself, and the run proves it by keys it writes
on the shared server before and finds there after (issue 34)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from common.development import embedded_broker
from common.development.ports import free_port
from scripts import run_tests

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def throwaway_redis(tmp_path) -> str:
    port = free_port()
    process = embedded_broker.start_throwaway(tmp_path / "redis", port)
    yield f"redis://127.0.0.1:{port}"
    embedded_broker.stop(process)


def test_the_check_finds_an_emptied_database_and_a_deleted_key(throwaway_redis):
    with run_tests.shared_redis_kept(throwaway_redis, range(4)) as lost:
        redis.Redis.from_url(f"{throwaway_redis}/2").flushdb()
    assert lost == [2]
    with run_tests.shared_redis_kept(throwaway_redis, range(4)) as lost:
        client = redis.Redis.from_url(f"{throwaway_redis}/3")
        client.delete(*client.keys("run_tests:*"))
    assert lost == [3]
    with run_tests.shared_redis_kept(throwaway_redis, range(4)) as lost:
        redis.Redis.from_url(f"{throwaway_redis}/1").set("ours", "1")  # a write is fine
    assert lost == []
    # Its keys are gone with it; the server is as it found it.
    assert [redis.Redis.from_url(f"{throwaway_redis}/{db}").dbsize() for db in range(4)] == [
        0,
        1,
        0,
        0,
    ]


def test_the_check_writes_nothing_where_no_server_answers():
    with run_tests.shared_redis_kept(f"redis://127.0.0.1:{free_port()}") as lost:
        pass
    assert lost == []


def test_every_project_uses_redis_of_the_runs_own_server():
    with run_tests.redis_of_the_run() as server:
        assert server and not server.startswith(run_tests.SHARED_REDIS)
        assert redis.Redis.from_url(f"{server}/0").ping()
        urls = run_tests.RedisUrls.on(server)
        for project in run_tests.PROJECTS:
            env = run_tests.project_env(project, postgres=False, redis=urls)
            used = [env[name] for name in ("CACHE_URL", "E2E_BROKER_URL", "TEST_EVENTS_REDIS_URL")]
            assert all(url.startswith(f"{server}/") for url in used), project.name
    assert not run_tests._redis_answers(server)  # stopped with the run


def test_a_run_of_the_tests_that_empty_redis_keeps_what_others_stored(throwaway_redis):
    """The flushing tests run as `make test` runs them, beside keys someone else left in
    every database of a Redis server others use; those keys are all there after. The
    server is named both as the shared one and as ``TEST_REDIS_SERVER``, where the runner
    used to put the tests' Redis (a server of this test's, so that no run of old code
    beside it on this machine, emptying 127.0.0.1:6379, decides the outcome)."""
    key = f"someone-else:{uuid.uuid4().hex}"
    clients = [redis.Redis.from_url(f"{throwaway_redis}/{db}") for db in range(16)]
    for client in clients:
        client.set(key, "not the tests'")
    env = dict(
        os.environ,
        TEST_SHARED_REDIS=throwaway_redis,
        TEST_REDIS_SERVER=throwaway_redis,
        TEST_PROJECTS="common",
        # A slot of its own: its PostgreSQL database is no other run's.
        TEST_SLOT=str(1000 + uuid.uuid4().int % 9000),
    )
    run = subprocess.run(
        # One test that empties the events' Redis database; like every test, it clears
        # the cache (Redis's FLUSHDB) first.
        [sys.executable, "scripts/run_tests.py", "-k", "declares_the_bindings_again"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "total: 1 passed, 0 failed" in run.stdout
    assert [db for db, client in enumerate(clients) if not client.exists(key)] == []


def test_each_service_runs_again_with_the_fast_path_off_beside_itself():
    projects = run_tests.PROJECTS
    for service in run_tests.SERVICES:
        twin = run_tests.off_twin(service, projects)
        assert twin is not None and twin.tests == service.tests, service.name
        env = run_tests.project_env(twin, postgres=True, redis=None)
        assert env["FASTPATH"] == "off"
        assert "DATABASE_URL" not in env  # SQLite, beside the first pass's PostgreSQL
        assert "FASTPATH" not in run_tests.project_env(service, postgres=True, redis=None)
    # Selected alone, the pass with it off has nothing to run beside.
    assert run_tests.off_twin(run_tests.SERVICES[0], run_tests.SERVICES) is None


def test_the_two_passes_answer_identically_or_the_run_says_which_test_differs():
    on = {"a::one": "passed", "a::two": "skipped", "a::three": "passed"}
    assert run_tests.answer_differences(on, dict(on)) == []
    # Skipped in one pass (PostgreSQL's concurrency tests on SQLite): nothing to compare.
    assert run_tests.answer_differences(on, {**on, "a::one": "skipped", "a::two": "passed"}) == []
    off = {"a::one": "passed", "a::two": "skipped", "a::three": "failed", "a::four": "passed"}
    assert run_tests.answer_differences(on, off) == [
        "a::four: not run on, passed off",
        "a::three: passed on, failed off",
    ]


def test_tests_named_by_a_random_uuid_are_compared_by_what_else_names_them(tmp_path):
    def report(name, *cases):
        body = "".join(
            f'<testcase classname="a" name="t[/orders/{uuid.uuid4()}/]">{inner}</testcase>'
            for inner in cases
        )
        (tmp_path / name).write_text(f'<testsuite tests="{len(cases)}">{body}</testsuite>')
        return run_tests._outcomes(tmp_path / name)

    on = report("on.xml", "", "")
    assert on == {"a::t[/orders/<uuid>/]": "passed,passed"}
    assert run_tests.answer_differences(on, report("off.xml", "", "")) == []
    assert run_tests.answer_differences(on, report("bad.xml", "", "<failure/>")) == [
        "a::t[/orders/<uuid>/]: passed,passed on, failed,passed off"
    ]
