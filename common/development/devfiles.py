"""The files development needs under ``var/``, made on purpose rather than by importing
settings.

Each entry point calls ``ensure_dev_files(service)`` before Django reads its settings:
``manage.py``, ``wsgi.py``, the Celery apps (common.events.celery), ``make run``
(scripts/run.py) and the tests (common.development.testing). Settings only read these files.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from common.auth import jwt_keys
from common.settings import environment


def ensure_dev_files(service: str) -> None:
    """Creates what ``service``'s development settings read and do not find: its
    directory under var/ (SQLite database, static files), its secret key, the admin
    sign-in secret and the JWT key pair every service shares. A value set in the
    environment needs no file.

    Safe to call from several processes at once (the first writer wins); does nothing
    when ``ENVIRONMENT=production``, where nothing is ever generated.
    """
    if environment.is_production():
        return
    (environment.service_dir(service) / "static").mkdir(parents=True, exist_ok=True)
    if not environment.env_str("SECRET_KEY"):
        _create_secret(environment.secret_key_file(service))
    if not environment.env_str("ADMIN_SIGN_IN_SECRET").strip():
        _create_secret(environment.admin_sign_in_secret_file())
    if jwt_keys.needs_dev_key_pair():
        jwt_keys.ensure_dev_key_pair(environment.jwt_dir())


def _create_secret(path: Path) -> None:
    """A random secret at ``path`` (mode 0600) unless one is there.

    O_EXCL makes two processes starting at once agree on one secret.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
