"""What OPTIONS answers: the view's name, description and media types.

DRF's default metadata also describes the fields of the view's serializer,
which assumes a ``serializer_class``; our views nest their serializers
(``InputSerializer``) instead, so the full description lives in the OpenAPI
schema (``/api/schema/``) and OPTIONS stays simple.
"""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import BaseMetadata
from rest_framework.request import Request

from common.api.negotiation import api_media_types


class ViewMetadata(BaseMetadata):
    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": api_media_types(view.parser_classes),
            "allowed_methods": view.allowed_methods,
            "schema": "/api/schema/",
        }
