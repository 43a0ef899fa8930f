"""Which request bodies a service parses: JSON for everyone, forms for the browsable API.

The browsable API's HTML forms post ``multipart/form-data`` (or urlencoded); only a
person signed in by session (CSRF checked) uses them. Every other caller, JWT clients
included, sends JSON as the OpenAPI schema says and gets 415 for anything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.request import Request, is_form_media_type

from common.auth.admin_sign_in import signed_in_by_session


def api_media_types(parser_classes: Iterable[type[BaseParser]]) -> list[str]:
    """The request media types the API documents (schema, OPTIONS): forms left out."""
    return [
        parser.media_type for parser in parser_classes if not is_form_media_type(parser.media_type)
    ]


class BrowserFormNegotiation(DefaultContentNegotiation):
    def select_parser(self, request: Request, parsers: list[BaseParser]) -> Any:
        if not signed_in_by_session(request):
            parsers = [parser for parser in parsers if not is_form_media_type(parser.media_type)]
        return super().select_parser(request, parsers)
