"""``Idempotency-Key`` for POSTs that create (docs/api.md).

The same key with the same body returns the first response again and creates
nothing; the same key with another body is refused with 422. The key's record
is written in the same transaction as the creation, so a crash either leaves
both or neither, and a concurrent retry waits on the key's unique index and
then replays.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.errors import ErrorCode, InvalidInput, Unprocessable
from common.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag")
MAX_KEY_LENGTH = 255

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique value (a UUID) per intended creation. Retrying with the same key and "
        "body returns the first response and creates nothing; another body is refused (422)."
    ),
)


def _retention() -> timedelta:
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_HOURS", 24))


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _principal(request: Request) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return "anonymous"


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _read_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            code=ErrorCode.INVALID_IDEMPOTENCY_KEY, params={"max_length": MAX_KEY_LENGTH}
        )
    return key


def idempotent_create(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Decorates a view's ``post`` so that it honours ``Idempotency-Key``.

    Raises Unprocessable (422 ``idempotency_key_reused``) when the key was used
    with another body, InvalidInput (400 ``invalid_idempotency_key``) for a malformed key.
    Only 2xx responses are remembered; an error leaves the key free to retry.
    """

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = _read_key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        scope = {"principal": _principal(request), "path": request.path, "key": key}
        with transaction.atomic():
            IdempotencyRecord.objects.filter(
                **scope, created_at__lt=timezone.now() - _retention()
            ).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(**scope, fingerprint=fingerprint)
            except IntegrityError:
                # The first request committed (a concurrent one waited on the unique index).
                record = IdempotencyRecord.objects.get(**scope)
                if record.fingerprint != fingerprint:
                    raise Unprocessable(code=ErrorCode.IDEMPOTENCY_KEY_REUSED) from None
                return _replay(record)
            response = handler(view, request, *args, **kwargs)
            if not status.is_success(response.status_code):
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.response_body = response.data
            record.response_headers = {
                name: response[name] for name in KEPT_HEADERS if response.has_header(name)
            }
            record.save(update_fields=["status_code", "response_body", "response_headers"])
            return response

    return extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])(wrapper)
