"""gunicorn's own log lines (its errors and the access log) in the format of every other
line: JSON by default, text with ``LOG_FORMAT=text`` (``gunicorn.conf.py`` selects it)."""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.glogging import Logger

from common.operations import logging_setup


class GunicornLogger(Logger):
    """gunicorn's logger with the project's formatter, and an access line whose fields
    (method, path, status, duration, request id) are JSON keys rather than one string."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter: logging.Formatter = (
            logging_setup.TextFormatter()
            if logging_setup.formatter_class().endswith("TextFormatter")
            else logging_setup.JsonFormatter()
        )
        context = logging_setup.ContextFilter(
            service=os.environ.get("SERVICE_NAME", _service_from(cfg)), role="api"
        )
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)
                handler.addFilter(context)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        headers = dict((name.lower(), value) for name, value in resp.headers)
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        self.access_log.info(
            "%s %s %s",
            environ.get("REQUEST_METHOD"),
            environ.get("RAW_URI") or environ.get("PATH_INFO"),
            status,
            extra={
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "status": int(status),
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "request_id": headers.get("x-request-id"),
                "response_bytes": getattr(resp, "sent", None),
            },
        )


def _service_from(cfg: Any) -> str:
    """The service a gunicorn serves, from its WSGI module (``users_api.wsgi``)."""
    return str(cfg.default_proc_name or "").split(".", 1)[0]
