"""The JSON parser every service uses: DRF's strict parsing, with a nesting limit.

Python's ``json`` module recurses once per level of nesting, so a few kilobytes of
``[[[[...]]]]`` raise ``RecursionError`` (a 500) before any view runs. The depth
is measured first, without recursion, and anything deeper than
``MAX_JSON_DEPTH`` is refused as a 400 problem.
"""

from __future__ import annotations

import json as stdlib_json
import re
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from common.api.errors import ErrorCode, error_text

#: A JSON string literal (escapes included); brackets inside one are not structure.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class TooDeeplyNested(ParseError):
    default_code = ErrorCode.TOO_DEEPLY_NESTED


def nesting_depth(text: str) -> int:
    """The deepest level of arrays and objects in ``text`` (0 for a scalar).

    Linear time, no recursion. For malformed JSON the result is still an upper
    bound of what a recursive parser would descend into before failing.
    """
    brackets = _BRACKET.findall(_STRING.sub("", text))
    return max(accumulate((_STEP[bracket] for bracket in brackets), initial=0))


class DepthLimitedJSONParser(JSONParser):
    """``application/json`` bodies, refused with 400 when nested deeper than the limit.

    Raises ParseError (``parse_error``) for malformed JSON or a wrong charset and
    TooDeeplyNested (``too_deeply_nested``) past ``MAX_JSON_DEPTH`` levels.
    """

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (LookupError, UnicodeError) as exc:
            raise ParseError(
                gettext("The body is not text in %(encoding)s.") % {"encoding": encoding}
            ) from exc
        limit = settings.MAX_JSON_DEPTH
        if nesting_depth(text) > limit:
            raise TooDeeplyNested(
                str(error_text(ErrorCode.TOO_DEEPLY_NESTED).detail) % {"limit": limit}
            )
        try:
            return json.loads(text)  # DRF's strict loads: NaN and Infinity are refused
        except stdlib_json.JSONDecodeError as exc:
            # The json module's own message is English; its position is what helps.
            raise ParseError(
                gettext("The body is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": exc.lineno, "column": exc.colno}
            ) from exc
        except ValueError as exc:  # NaN or Infinity, which strict JSON does not have
            raise ParseError(
                gettext("The body is not valid JSON: NaN and Infinity are not JSON numbers.")
            ) from exc
