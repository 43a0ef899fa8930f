"""OpenAPI generation: our bearer scheme and unique names for nested serializers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class BearerJWTScheme(OpenApiAuthenticationExtension):
    target_class = "common.auth.access.JWTAuthentication"
    match_subclasses = True  # users_api's adds an account check, same scheme
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class AutoSchema(SpectacularAutoSchema):
    """Names a view's nested ``InputSerializer`` after the view (``RegisterInputRequest``).

    Views nest their own InputSerializer (HackSoft style) where no other view shares
    it; those would otherwise all be called ``Input`` in the schema and collide.
    """

    def _get_serializer_name(
        self, serializer: Any, direction: str, bypass_extensions: bool = False
    ) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        owner, _, inner = cls.__qualname__.rpartition(".")
        if owner and name.removeprefix("Patched").startswith(inner.removesuffix("Serializer")):
            return f"{owner.split('.')[-1].removesuffix('View')}{name}"
        return name


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details; validation problems add `errors`.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
    "additionalProperties": True,
}

#: The problems any operation may answer with (docs/api.md), beside its own success.
PROBLEM_STATUSES = {
    "400": "Malformed JSON, wrong types or invalid fields",
    "401": "No token, or a token that is not valid",
    "403": "The token lacks the permission",
    "404": "Nothing has this id",
    "405": "The method is not allowed here",
    "409": "A rule refuses the change",
    "412": "If-Match names an older version",
    "413": "The body is too large",
    "415": "The body is not JSON",
    "422": "Refers to something that cannot be used (or an Idempotency-Key reused)",
    "429": "Too many requests; see Retry-After",
}


def document_problems(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation declares the problem responses.

    Clients (and API fuzzers) can then rely on the schema for every status code
    the API really answers with.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status_code, description in PROBLEM_STATUSES.items():
                operation["responses"].setdefault(
                    status_code,
                    {
                        "description": description,
                        "content": {"application/problem+json": {"schema": reference}},
                    },
                )
            # gunicorn refuses an over-long request line itself, before Django sees it.
            operation["responses"].setdefault(
                "414",
                {
                    "description": "The URL is too long (answered by gunicorn, as HTML)",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
            )
    return result
