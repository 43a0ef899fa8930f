"""Problems as HTML pages, for people: an error asked for as HTML is a page to read.

The API's own views answer browsers through the browsable API
(``common.api.renderers.BrowsableAPIRenderer``); this covers the errors Django and the
middleware answer themselves (unknown address, oversized body, server error).
JSON clients (no Accept, ``*/*``, ``application/json``) still get problem+json.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def prefers_html(request: HttpRequest) -> bool:
    """Whether the Accept header ranks HTML above JSON (a browser's does)."""
    return request.get_preferred_type(["application/json", "text/html"]) == "text/html"


def problem_page(problem: Mapping[str, Any]) -> HttpResponse:
    """The problem as an HTML page, with the problem's status. It reads nothing from
    the request or the database, so it can answer a server error too."""
    context = {
        "problem": problem,
        # A list of pairs: the template would read errors.items as a field named "items".
        "problem_errors": list(problem.get("errors", {}).items()),
        "service_name": settings.SERVICE_NAME,
    }
    return HttpResponse(
        render_to_string("common/problem.html", context),
        status=problem["status"],
        content_type="text/html; charset=utf-8",
    )
