"""The suite's own rules (pytest.ini), checked by running pytest on a test that breaks
one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a pytest of its own, with Django
def test_an_exception_in_a_thread_a_test_started_fails_that_test(tmp_path):
    test = tmp_path / "test_thread.py"
    test.write_text(
        "import threading\n\n\n"
        "def test_with_a_failing_thread():\n"
        "    thread = threading.Thread(target=lambda: 1 / 0)\n"
        "    thread.start()\n"
        "    thread.join()\n"
    )
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-c", str(REPO / "pytest.ini")),
            *("--rootdir", str(REPO), "-p", "no:cacheprovider", "-q", str(test)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "ZeroDivisionError" in result.stdout
