"""docs/api.md's table of error codes is what the registries say (``make docs`` writes it).

Each service's codes are read by a process of its own in that service's settings
(``scripts/error_codes.py --dump``), since no service may import another."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts import error_codes

REPO = Path(__file__).resolve().parent.parent


def _check(document: Path = error_codes.API_DOC) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "error_codes.py"),
            "--check",
            "--document",
            document,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_table_in_docs_api_is_current():
    result = _check()
    assert result.returncode == 0, result.stderr


def test_the_table_lists_every_service_and_a_code_of_each_registry():
    table = error_codes.API_DOC.read_text(encoding="utf-8")
    generated = table.partition(error_codes.BEGIN)[2].partition(error_codes.END)[0]
    for heading in ("### users_api", "### clients_api", "### products_api", "### orders_api"):
        assert heading in generated
    # One code from common, DRF, each service with codes: status and both languages.
    assert "| `database_unavailable` | 503 | **Service Unavailable**" in generated
    assert "| `throttled` | 429 |" in generated
    assert "| `token_reused` | 401 | **Token already used**" in generated
    assert "| `stock_below_zero` | 409 | **Not enough stock**" in generated
    assert "**Estoque insuficiente**" in generated
    assert "| `too_many_items` | 409 |" in generated


def test_a_stale_table_is_reported(tmp_path):
    stale = tmp_path / "api.md"
    stale.write_text(
        error_codes.rewritten(error_codes.API_DOC.read_text(encoding="utf-8"), "stale"),
        encoding="utf-8",
    )
    result = _check(stale)
    assert result.returncode == 1
    assert "stale: run `make docs`" in result.stderr
