"""users_api's permission catalogue (``users.permission_catalogue``: what can be granted and
what ``GET /api/v1/permissions/`` lists) is exactly the union of the codes each service's
views check (its ``settings.PERMISSION_CODES``). No service imports another, so each
project's settings are read by its own ``manage.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVICES = ("users", "clients", "products", "orders")
READ = (
    "import json; from django.conf import settings; "
    "print(json.dumps(sorted(settings.PERMISSION_CODES)))"
)
CATALOGUE = (
    "import json; from users.permission_catalogue import CATALOGUE; "
    "print(json.dumps(sorted(CATALOGUE)))"
)


def _shell(service: str, code: str, tmp_path: Path) -> list[str]:
    project = f"{service}_api"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": f"{project}.settings",
        "VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO / project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_catalogue_is_the_union_of_what_each_service_checks(tmp_path):
    declared = {service: _shell(service, READ, tmp_path) for service in SERVICES}
    catalogue = set(_shell("users", CATALOGUE, tmp_path))
    for service, codes in declared.items():
        assert codes, f"{service} declares no permission code"
        assert {code.split(".", 1)[0] for code in codes} == {service}, service
    assert set().union(*declared.values()) == catalogue
