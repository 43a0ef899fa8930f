"""Request-level middleware of every service: guards that run before any view reads the
body, the request id, and Django's message middleware made lazy."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext

from common.admin import spreadsheets
from common.api.errors import ErrorCode, error_text, problem_response
from common.api.wsgi import is_chunked
from common.operations import logging_setup


class RequestSizeLimitMiddleware:
    """Refuses bodies over MAX_REQUEST_BODY_BYTES with 413 before they are read, and
    chunked bodies the server handed over unread with 411.

    DRF parses ``request`` as a stream, which bypasses Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE check, so the limit is enforced here from the
    declared Content-Length (the WSGI server never hands over more than that). A
    chunked body has none: ``common.api.wsgi.ChunkedBodies`` reads it (up to the limit and
    one byte) and sets it; without one, Django would read the body as empty.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # It answers before LocaleMiddleware runs: the refusal speaks the request's language.
        with translation.override(translation.get_language_from_request(request)):
            refusal = self._refusal(request)
        return refusal or self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        # An admin's spreadsheet upload may be larger than an API body, up to its own limit.
        upload = spreadsheets.is_upload_path(request.path)
        limit = spreadsheets.max_upload_bytes() if upload else settings.MAX_REQUEST_BODY_BYTES
        declared = request.META.get("CONTENT_LENGTH")
        if not declared and is_chunked(request.META):
            return problem_response(
                request,
                411,
                ErrorCode.LENGTH_REQUIRED,
                str(error_text(ErrorCode.LENGTH_REQUIRED).detail),
            )
        try:
            length = int(declared or 0)
        except ValueError:
            return problem_response(
                request, 400, ErrorCode.BAD_REQUEST, gettext("Content-Length is not a number.")
            )
        if length > limit and is_chunked(request.META):
            return problem_response(
                request,
                413,
                ErrorCode.PAYLOAD_TOO_LARGE,
                gettext("The request body is over the limit of %(limit)s bytes.")
                % {"limit": limit},
            )
        if length > limit:
            detail = (
                spreadsheets.too_large_message(length)
                if upload
                else str(error_text(ErrorCode.PAYLOAD_TOO_LARGE).detail)
                % {"length": length, "limit": limit}
            )
            return problem_response(request, 413, ErrorCode.PAYLOAD_TOO_LARGE, detail)
        return None


class RequestIdMiddleware:
    """Gives every request an id: the client's ``X-Request-ID`` when it is safe to echo
    (bounded length, no spaces or control characters), else a new one.

    The id is on ``request.request_id``, in every log line written while the
    request is handled, in the events it records (``correlation_id``), and on
    the response's ``X-Request-ID``. Goes first, so even a refused request has one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = logging_setup.request_id_from(request.headers.get("X-Request-ID"))
        with logging_setup.bind(request_id=request.request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class ContentSecurityPolicyMiddleware:
    """Sends ``settings.CONTENT_SECURITY_POLICY`` with every HTML page (the admin, the
    browsable API, Swagger UI, error pages): scripts only from files this service
    serves, so a value that slipped into a page unescaped cannot run.

    A response that already has a policy keeps it; other content types need none.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
