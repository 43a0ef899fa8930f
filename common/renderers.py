"""JSON rendering with orjson: the same bytes DRF's JSONRenderer writes, faster.

Serializers hand over strings for decimals, dates and UUIDs already, so most
responses are plain dicts and lists, which orjson writes natively. Anything
else (a datetime or decimal placed in a response by hand, a lazy translation
string) goes through DRF's own encoder, so the output does not change: UTC
datetimes end in ``Z``, decimals follow ``COERCE_DECIMAL_TO_STRING``.
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_ENCODER = JSONEncoder()
# Datetimes and dataclasses through DRF's encoder too, for byte-for-byte the same output.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class FastJSONRenderer(JSONRenderer):
    """``JSONRenderer`` for compact, UTF-8 output (DRF's defaults); an ``indent`` asked
    for in the Accept header falls back to DRF's renderer."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        rendered = orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS)
        # As DRF does: these two are valid JSON but end a line in JavaScript source.
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028")
            rendered = rendered.replace(b"\xe2\x80\xa9", b"\\u2029")
        return rendered
