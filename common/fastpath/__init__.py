"""The speed-ups that lean on framework internals, in one place that can be switched off.

Every use of a private API of Django, DRF, psycopg or gunicorn made to go faster lives
in this package, and nowhere else: each module names what it replaces and what it
earns (docs/performance.md, "The fast path"). What must not come here: anything that
changes behaviour, an API answer or an event. Each piece gives what the framework's
own path gives, and each falls back to that path when :func:`enabled` is False:

- ``settings.FASTPATH_ENABLED`` is False (environment ``FASTPATH=off``), or
- an installed Django, DRF, psycopg or gunicorn is not the version in
  :data:`TESTED_VERSIONS`: the internals may have moved, so the package stays off and
  says so once in the log.

The pieces: :mod:`.postgresql` (a database backend), :mod:`.updates` (a model's
``UPDATE``), :mod:`.queries` (reads by id), :mod:`.inserts` (an event's ``INSERT``),
:mod:`.projection` (output serializers) and :mod:`.gunicorn` (a worker constant).
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)

#: The distributions whose internals the pieces use, at the versions the whole suite
#: ran with (fast path on and off). Bump one only after that run on the new version.
TESTED_VERSIONS: dict[str, str] = {
    "django": "5.2.19",
    "djangorestframework": "3.18.3",
    "psycopg": "3.3.9",
    "gunicorn": "27.0.1",
}


def switched_on(environ: Any = os.environ) -> bool:
    """The setting: ``FASTPATH`` in the environment, on unless ``off`` (or ``0``,
    ``false``, ``no``). Read by the settings (``FASTPATH_ENABLED``) and, where no Django
    settings exist (gunicorn's master), by :func:`enabled` itself."""
    return environ.get("FASTPATH", "on").strip().lower() not in {"off", "0", "false", "no"}


def untested_versions() -> dict[str, str | None]:
    """The distributions of :data:`TESTED_VERSIONS` installed at another version (None
    when missing), by name."""
    found = {}
    for name, tested in TESTED_VERSIONS.items():
        try:
            installed: str | None = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != tested:
            found[name] = installed
    return found


@functools.cache
def enabled() -> bool:
    """Whether the pieces take their fast path (else the framework's own). Decided once
    per process (a settings change in tests decides again); logs one warning when the
    setting asks for it but the installed versions were not tested."""
    wanted = settings.FASTPATH_ENABLED if settings.configured else switched_on()
    if not wanted:
        return False
    untested = untested_versions()
    if untested:
        logger.warning(
            "fast path off: %s installed, tested with %s",
            ", ".join(f"{name} {version or 'missing'}" for name, version in untested.items()),
            ", ".join(f"{name} {TESTED_VERSIONS[name]}" for name in untested),
        )
        return False
    return True


@receiver(setting_changed)
def _decide_again(*, setting: str, **kwargs: Any) -> None:
    if setting == "FASTPATH_ENABLED":
        enabled.cache_clear()
