"""RFC 9457 problem details for every error a service returns.

Each problem has ``type``, ``title``, ``status``, ``detail`` and a stable
``code``; validation problems add ``errors`` keyed by dotted field paths
(``items.0.quantity``). Stack traces never reach the client.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from common.api.error_pages import prefers_html, problem_page

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:sistema-multi-apis:problem:"

#: Titles in the request's language (docs/api.md); other statuses keep HTTP's English phrase.
TITLES = {
    400: _("Bad Request"),
    401: _("Unauthorized"),
    403: _("Forbidden"),
    404: _("Not Found"),
    405: _("Method Not Allowed"),
    406: _("Not Acceptable"),
    409: _("Conflict"),
    411: _("Length Required"),
    412: _("Precondition Failed"),
    413: _("Request Entity Too Large"),
    415: _("Unsupported Media Type"),
    422: _("Unprocessable Entity"),
    428: _("Precondition Required"),
    429: _("Too Many Requests"),
    500: _("Internal Server Error"),
    503: _("Service Unavailable"),
}

#: Seconds a client is asked to wait (Retry-After) while the database is unreachable.
DATABASE_RETRY_AFTER = 5

#: Seconds a client is asked to wait (Retry-After) after a transient conflict (a deadlock).
CONFLICT_RETRY_AFTER = 1

#: PostgreSQL's SQLSTATEs of a transaction that lost a race and may simply be run again:
#: deadlock_detected and serialization_failure (docs/decisions.md).
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})

logger = logging.getLogger(__name__)


#: Members every problem has; a domain error's extras may not replace them.
RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "code"})


class ErrorCode(StrEnum):
    """Problem codes more than one service answers with (docs/api.md).

    Each service keeps its own codes in ``<app>.errors``; a code another
    service reads (``USER_INACTIVE``, matched by the admin sign-in) lives here.
    """

    BAD_REQUEST = "bad_request"
    VALIDATION_ERROR = "validation_error"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PRECONDITION_FAILED = "precondition_failed"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    USER_INACTIVE = "user_inactive"
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 - a problem code
    LENGTH_REQUIRED = "length_required"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    TOO_DEEPLY_NESTED = "too_deeply_nested"
    DATABASE_UNAVAILABLE = "database_unavailable"
    TRANSIENT_CONFLICT = "transient_conflict"
    SERVER_ERROR = "server_error"


@dataclass(frozen=True)
class ErrorText:
    """What a person reads for one problem code: a short ``title`` and the ``detail``
    it says when the raiser gives none; both lazy, with ``%(name)s`` parameters."""

    title: Promise
    detail: Promise


#: Every problem code's texts, filled by ``register_error_texts`` (common's below,
#: each service's in its ``<app>.errors``).
ERROR_TEXTS: dict[str, ErrorText] = {}


def register_error_texts(texts: Mapping[str, ErrorText]) -> None:
    """Adds codes' texts to ``ERROR_TEXTS``; raises ValueError for a code already there
    with other texts (two services may not give one code two meanings)."""
    for code, text in texts.items():
        known = ERROR_TEXTS.get(str(code))
        if known is not None and known != text:
            raise ValueError(f"problem code {code!r} already has other texts")
        ERROR_TEXTS[str(code)] = text


class DomainError(Exception):
    """A business rule said no. Raised by services; knows nothing of HTTP.

    ``code`` is stable and documented. ``message`` is for people: a lazy translatable
    text (the code's ``ErrorText.detail`` unless given) with ``%(name)s`` placeholders
    filled from ``params`` when it is read (``detail``), so the problem speaks the
    reader's language. ``extra`` adds facts to the problem (never a member every
    problem has: ValueError). The subclass says what kind of refusal it is;
    ``problem_exception_handler`` alone maps that kind to a status
    (``DOMAIN_ERROR_STATUS``). A bare DomainError is a conflict with the resource's state.
    """

    default_code: str = ErrorCode.CONFLICT

    def __init__(
        self,
        message: Promise | str | None = None,
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        if message is None:
            # A code without texts of its own says what its kind's default code says.
            message = (ERROR_TEXTS.get(str(self.code)) or error_text(self.default_code)).detail
        self.message = message
        self.params = dict(params or {})
        self.extra = dict(extra or {})
        clashes = RESERVED_MEMBERS & set(self.extra)
        if clashes:
            raise ValueError(f"problem members {sorted(clashes)} are not extras")
        super().__init__(self.message)

    @property
    def detail(self) -> str:
        """The message in the active language, its parameters filled in."""
        text = str(self.message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return self.detail


class InvalidInput(DomainError):
    """The request itself is malformed in a way a serializer cannot see (a header)."""

    default_code = ErrorCode.BAD_REQUEST


class Unauthenticated(DomainError):
    """The credentials presented do not identify anyone (wrong password, bad token)."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    default_code = ErrorCode.PERMISSION_DENIED


class NotFound(DomainError):
    default_code = ErrorCode.NOT_FOUND


class PreconditionFailed(DomainError):
    default_code = ErrorCode.PRECONDITION_FAILED


class Unprocessable(DomainError):
    """The request is well formed but names something that cannot be used."""


#: Each kind of domain error's HTTP status: the one place a refusal meets HTTP.
DOMAIN_ERROR_STATUS: Mapping[type[DomainError], int] = {
    InvalidInput: status.HTTP_400_BAD_REQUEST,
    Unauthenticated: status.HTTP_401_UNAUTHORIZED,
    Forbidden: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    PreconditionFailed: status.HTTP_412_PRECONDITION_FAILED,
    Unprocessable: status.HTTP_422_UNPROCESSABLE_ENTITY,
    DomainError: status.HTTP_409_CONFLICT,
}

register_error_texts(
    {
        ErrorCode.BAD_REQUEST: ErrorText(TITLES[400], _("The request could not be understood.")),
        ErrorCode.VALIDATION_ERROR: ErrorText(TITLES[400], _("The request has invalid fields.")),
        ErrorCode.PERMISSION_DENIED: ErrorText(TITLES[403], _("You may not do this.")),
        # DRF's wording and message id, so the problem reads as it always has (translated).
        ErrorCode.NOT_FOUND: ErrorText(TITLES[404], _("Not found.")),
        ErrorCode.CONFLICT: ErrorText(
            TITLES[409], _("The request conflicts with the current state of the resource.")
        ),
        ErrorCode.PRECONDITION_FAILED: ErrorText(
            TITLES[412],
            _("The resource changed since you read it (If-Match does not match)."),
        ),
        ErrorCode.INVALID_IDEMPOTENCY_KEY: ErrorText(
            _("Invalid Idempotency-Key"),
            _("Idempotency-Key must be 1 to %(max_length)s printable characters."),
        ),
        ErrorCode.IDEMPOTENCY_KEY_REUSED: ErrorText(
            _("Idempotency-Key already used"),
            _("This Idempotency-Key was already used with a different request body."),
        ),
        ErrorCode.USER_INACTIVE: ErrorText(
            _("Account deactivated"), _("This account is deactivated.")
        ),
        # users_api's ended login (a refresh token) and every service's revoked access token.
        ErrorCode.TOKEN_REVOKED: ErrorText(
            _("Login ended"), _("This login has ended; log in again.")
        ),
        ErrorCode.LENGTH_REQUIRED: ErrorText(
            TITLES[411],
            _("This server cannot read a chunked request body: send it with a Content-Length."),
        ),
        ErrorCode.PAYLOAD_TOO_LARGE: ErrorText(
            TITLES[413], _("The request body has %(length)s bytes; the limit is %(limit)s.")
        ),
        ErrorCode.TOO_DEEPLY_NESTED: ErrorText(
            _("JSON nested too deeply"),
            _("JSON nested deeper than %(limit)s levels is not accepted."),
        ),
        ErrorCode.DATABASE_UNAVAILABLE: ErrorText(
            TITLES[503],
            _("The service cannot reach its database right now; try again shortly."),
        ),
        ErrorCode.TRANSIENT_CONFLICT: ErrorText(
            _("Concurrent change"),
            _("The request collided with another change made at the same time; try again."),
        ),
        ErrorCode.SERVER_ERROR: ErrorText(
            TITLES[500], _("Something went wrong on our side; it has been logged.")
        ),
    }
)


def error_text(code: str) -> ErrorText:
    """The registered texts of ``code``; raises KeyError for a code nobody registered
    (every code a service answers with has texts: tests walk them)."""
    return ERROR_TEXTS[str(code)]


#: The challenge of a 401: the APIs take bearer tokens (common.auth.access.JWTAuthentication).
BEARER_CHALLENGE = 'Bearer realm="api"'


def domain_error_status(error: DomainError) -> int:
    """The HTTP status of ``error``'s kind (its nearest class in ``DOMAIN_ERROR_STATUS``)."""
    return next(
        DOMAIN_ERROR_STATUS[kind] for kind in type(error).__mro__ if kind in DOMAIN_ERROR_STATUS
    )


class DatabaseUnavailable(exceptions.APIException):
    """The database could not be reached: 503 with Retry-After, not a 500.

    Django reconnects on the next request, so the service recovers by itself.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = ErrorCode.DATABASE_UNAVAILABLE
    default_detail = _("The service cannot reach its database right now; try again shortly.")
    wait = DATABASE_RETRY_AFTER  # DRF's handler turns it into Retry-After


class TransientConflict(exceptions.APIException):
    """The database chose this request's transaction as a deadlock's victim or refused
    it a serializable snapshot: 409 with Retry-After, not a 503 (the database is up).

    Nothing of the transaction committed; the same request again normally succeeds.
    """

    status_code = status.HTTP_409_CONFLICT
    default_code = ErrorCode.TRANSIENT_CONFLICT
    default_detail = _("The request collided with another change made at the same time; try again.")
    wait = CONFLICT_RETRY_AFTER  # DRF's handler turns it into Retry-After


def is_transient_conflict(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a deadlock victim (SQLSTATE 40P01) or a serialization
    failure (40001): Django's OperationalError caused by the driver's error."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate in TRANSIENT_SQLSTATES


def is_database_outage(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database is unreachable or the connection broke.

    OperationalError also covers refusals a retry cures (a lock timeout, SQLite's
    "database is locked"); a deadlock or serialization failure is a transient
    conflict instead (``is_transient_conflict``): check that first.
    """
    return isinstance(exc, OperationalError | InterfaceError)


def problem(
    status_code: int,
    *,
    code: str,
    detail: str,
    title: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    code = str(code)
    text = ERROR_TEXTS.get(code)
    body = {
        "type": f"{PROBLEM_TYPE_BASE}{code}",
        # The code's own title, whoever raised it (a DomainError, DRF, a handler).
        "title": title or (str(text.title) if text else _title(status_code)),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return body


def _title(status_code: int) -> str:
    if status_code in TITLES:
        return str(TITLES[status_code])
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"dotted.path": ["message", ...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if key == "non_field_errors" and prefix:
                path = prefix  # a list field's own error belongs to the field
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub_path, messages in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(messages)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, value in enumerate(detail):
                if not value:
                    continue
                path = f"{prefix}.{index}" if prefix else str(index)
                for sub_path, messages in flatten_errors(value, path).items():
                    flat.setdefault(sub_path, []).extend(messages)
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def _as_drf_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if is_transient_conflict(exc):
        logger.warning("transient conflict: %s: %s", exc.__class__.__name__, exc)
        return TransientConflict()
    if is_database_outage(exc):
        logger.error("database unavailable: %s: %s", exc.__class__.__name__, exc)
        return DatabaseUnavailable()
    return exc


def _detail_text(detail: Any) -> str:
    if isinstance(detail, Mapping) and "detail" in detail:
        return str(detail["detail"])
    if isinstance(detail, list | tuple) and detail:
        return str(detail[0])
    return str(detail)


def _code_of(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, Mapping) and "code" in detail:
        return str(detail["code"])
    code = getattr(detail, "code", None)
    return str(code or exc.default_code)


def _domain_error_response(error: DomainError) -> Response:
    """The problem for a refusal; like DRF's handler, it rolls back ATOMIC_REQUESTS."""
    from rest_framework.views import set_rollback  # see problem_exception_handler

    set_rollback()
    status_code = domain_error_status(error)
    body = problem(status_code, code=error.code, detail=error.detail, **error.extra)
    headers = {"WWW-Authenticate": BEARER_CHALLENGE} if isinstance(error, Unauthenticated) else None
    return Response(body, status=status_code, headers=headers)


def problem_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF EXCEPTION_HANDLER: every handled error becomes a problem.

    A domain error gets its kind's status here; DRF's errors go through DRF's
    own handler, which this one wraps. Both mark an ATOMIC_REQUESTS transaction
    for rollback, so nothing a refused request wrote is committed.
    """
    # Imported here: DRF's views module loads the renderers, which read ErrorCode.
    from rest_framework.views import exception_handler

    if isinstance(exc, DomainError):
        response = _domain_error_response(exc)
    else:
        exc = _as_drf_exception(exc)
        response = exception_handler(exc, context)
        if response is None:
            # Unhandled: let Django's handler500 answer (a problem without a trace) and log it.
            return None
        if isinstance(exc, exceptions.ValidationError):
            response.data = problem(
                response.status_code,
                code=ErrorCode.VALIDATION_ERROR,
                detail=str(error_text(ErrorCode.VALIDATION_ERROR).detail),
                errors=flatten_errors(exc.detail),
            )
        else:
            response.data = problem(
                response.status_code, code=_code_of(exc), detail=_detail_text(exc.detail)
            )
    # The browsable API renders the problem as its page (text/html) for a browser.
    renderer = getattr(context["request"], "accepted_renderer", None)
    if renderer is None or renderer.format == "json":
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(
    request: HttpRequest,
    status_code: int,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """The problem as problem+json, or as an HTML page for a browser."""
    body = problem(status_code, code=code, detail=detail)
    if prefers_html(request):
        response = problem_page(body)
        for name, value in (headers or {}).items():
            response[name] = value
        return response
    return JsonResponse(
        body, status=status_code, content_type=PROBLEM_CONTENT_TYPE, headers=headers
    )


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(
        request, 400, ErrorCode.BAD_REQUEST, str(error_text(ErrorCode.BAD_REQUEST).detail)
    )


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A problem, except in the admin: people there get a page in the admin's look."""
    from django.contrib import admin

    if request.path.startswith(reverse("admin:index")):
        context = {**admin.site.each_context(request), "title": gettext("Not allowed")}
        return TemplateResponse(request, "admin/permission_denied.html", context, status=403)
    return problem_response(
        request,
        403,
        ErrorCode.PERMISSION_DENIED,
        str(error_text(ErrorCode.PERMISSION_DENIED).detail),
    )


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(
        request, 404, ErrorCode.NOT_FOUND, gettext("Nothing lives at this address.")
    )


def handler500(request: HttpRequest) -> HttpResponse:
    """A problem without a trace; 503 with Retry-After when the database is what failed,
    409 with Retry-After when it was a transient conflict (a deadlock).

    Django calls it while handling the exception (also one raised by a middleware,
    e.g. loading a session), so ``sys.exc_info()`` names the error; Django's own
    ``django.request`` log of it stays at ERROR (only DRF views' are warnings).
    """
    error = sys.exc_info()[1]
    if is_transient_conflict(error):
        conflict = TransientConflict()
        return problem_response(
            request,
            conflict.status_code,
            conflict.default_code,
            str(conflict.default_detail),
            headers={"Retry-After": str(conflict.wait)},
        )
    if is_database_outage(error):
        unavailable = DatabaseUnavailable()
        return problem_response(
            request,
            unavailable.status_code,
            unavailable.default_code,
            str(unavailable.default_detail),
            headers={"Retry-After": str(unavailable.wait)},
        )
    return problem_response(
        request,
        500,
        ErrorCode.SERVER_ERROR,
        str(error_text(ErrorCode.SERVER_ERROR).detail),
    )
