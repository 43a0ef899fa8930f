"""Logs: one JSON object per line on stdout (docs/operations.md: "Operating it"), or plain
text for a terminal.

Every line carries the service, the process role (api, relay, worker,
scheduler, command) and whatever the code handling it has bound: the
``request_id`` of the HTTP request, or the ``correlation_id``, ``event_id`` and
``event_type`` of the event being relayed or applied. Binding uses
contextvars, so threads (gunicorn's) and nested calls keep their own::

    with bind_correlation(envelope.get("correlation_id"), envelope["id"], envelope["type"]):
        ...  # every log line in here names the event

``LOG_FORMAT=text`` switches to one readable line per record; ``LOG_LEVEL``
sets the level.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

_bound: ContextVar[dict[str, str]] = ContextVar("log_context", default={})  # noqa: B039 - never mutated

# What a client may send as X-Request-ID: bounded, and nothing that could forge a log
# line or a header (no spaces, quotes or control characters).
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")


def process_role() -> str:
    """What this process is: ``PROCESS_ROLE`` when set, else guessed from its command line."""
    role = os.environ.get("PROCESS_ROLE", "").strip()
    if role:
        return role
    argv = " ".join(os.path.basename(arg) for arg in sys.argv[:4])
    if "gunicorn" in argv or "runserver" in argv:
        return "api"
    if "relay_outbox" in argv:
        return "relay"
    if "celery" in argv and " beat" in argv:
        return "scheduler"
    if "celery" in argv:
        return "worker"
    if "run_scheduler" in argv or "scheduler" in argv:
        return "scheduler"
    return "command"


def request_id_from(header: str | None) -> str:
    """The client's X-Request-ID when it is safe to echo and log, else a new one."""
    if header and _SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@contextlib.contextmanager
def bind(**fields: str | None) -> Iterator[None]:
    """Adds ``fields`` (those not None) to every log line written inside the block."""
    token = _bound.set({**_bound.get(), **{k: str(v) for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _bound.reset(token)


def bind_correlation(
    correlation_id: str | None, event_id: str | None = None, event_type: str | None = None
) -> contextlib.AbstractContextManager[None]:
    """Names the event being handled (and the request that caused it) in every log line."""
    return bind(correlation_id=correlation_id, event_id=event_id, event_type=event_type)


def bind_event(envelope: dict[str, Any]) -> contextlib.AbstractContextManager[None]:
    """``bind_correlation`` with the fields of an event envelope."""
    return bind_correlation(
        envelope.get("correlation_id"), envelope.get("id"), envelope.get("type")
    )


def correlation_id() -> str | None:
    """The id that events recorded now should carry as ``correlation_id``.

    The request's id inside a request; inside an event's handler, that event's
    correlation id, so a chain of events keeps the id of the request that began it.
    """
    fields = _bound.get()
    return fields.get("request_id") or fields.get("correlation_id")


class ContextFilter(logging.Filter):
    """Puts the service, the process role and the bound fields on every record."""

    def __init__(self, service: str = "", role: str = "") -> None:
        super().__init__()
        self.service = service or os.environ.get("SERVICE_NAME", "")
        self.role = role or process_role()

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.role = self.role
        for name, value in _bound.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        # django.request logs a refused request after the middleware has returned, with
        # the request attached.
        request_id = getattr(getattr(record, "request", None), "request_id", None)
        if request_id and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


class JsonFormatter(_LibraryJsonFormatter):
    """python-json-logger with the field names of docs/operations.md's "Operating it", UTC times."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)


class TextFormatter(logging.Formatter):
    """One readable line: time, level, service/role, logger, message, then bound ids."""

    _CONTEXT = ("request_id", "correlation_id", "event_id", "event_type")
    # UTC, as the JSON lines: Django sets the process's local time zone to TIME_ZONE
    # (America/Sao_Paulo) once settings load, which would shift half the lines.
    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def format(self, record: logging.LogRecord) -> str:
        line = (
            f"{self.formatTime(record)} {record.levelname} "
            f"{getattr(record, 'service', '')}/{getattr(record, 'role', '')} "
            f"{record.name}: {record.getMessage()}"
        )
        context = " ".join(
            f"{name}={getattr(record, name)}" for name in self._CONTEXT if hasattr(record, name)
        )
        if context:
            line += f" [{context}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def formatter_class() -> str:
    """The formatter LOG_FORMAT (json, the default, or text) asks for."""
    log_format = os.environ.get("LOG_FORMAT", "json").strip().lower()
    if log_format not in {"json", "text"}:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {log_format!r}")
    return f"common.logging_setup.{'Json' if log_format == 'json' else 'Text'}Formatter"


def logging_config(service: str) -> dict[str, Any]:
    """Django's LOGGING: everything to stdout through one handler, in LOG_FORMAT.

    Python warnings are routed through logging too, so they come out in the same shape.
    """
    logging.captureWarnings(True)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter, "service": service}},
        "formatters": {"default": {"()": formatter_class()}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "default",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    }
