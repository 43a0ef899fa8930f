"""OpenAPI generation: our bearer scheme and unique names for nested serializers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class BearerJWTScheme(OpenApiAuthenticationExtension):
    target_class = "common.auth.JWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class AutoSchema(SpectacularAutoSchema):
    """Names a view's nested ``InputSerializer`` after the view (``RegisterInputRequest``).

    Every view has its own nested Input/OutputSerializer (HackSoft style), which
    would otherwise all be called ``Input`` in the schema and collide.
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
