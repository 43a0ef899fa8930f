"""The suite's own rules (pytest.ini), checked by running pytest on a test that breaks
one, where and as `make test` runs each project (scripts/run_tests.py)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from scripts import run_tests

#: Each place run_tests.py runs pytest from, once: (project, its first test directory).
PLACES = {
    (project.directory, Path(project.tests[0]).parts[0]): project for project in run_tests.PROJECTS
}

PROBE = """\
import threading


def test_with_a_failing_thread():
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
"""


@pytest.mark.slow  # a pytest of its own per project, with Django where the project has it
@pytest.mark.parametrize(
    "project", list(PLACES.values()), ids=[project.name for project in PLACES.values()]
)
def test_an_exception_in_a_thread_a_test_started_fails_that_test(project):
    # The probe sits among the project's tests, so pytest finds the configuration and
    # conftest files their run finds; its name is no test file's, so no run collects it.
    probe = project.directory / Path(project.tests[0]).parts[0] / f"probe_{uuid.uuid4().hex}.py"
    probe.write_text(PROBE)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(probe)],
            cwd=project.directory,
            env=run_tests.project_env(project, postgres=False, redis=None),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        probe.unlink()
    output = result.stdout + result.stderr
    # The repository's pytest.ini rules every project: no project has one of its own.
    assert f"rootdir: {run_tests.REPO}\nconfigfile: pytest.ini\n" in result.stdout, output
    assert result.returncode == 1, output
    assert "1 failed" in result.stdout, output
    assert "ZeroDivisionError" in result.stdout, output
