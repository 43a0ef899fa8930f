"""Renderers: JSON with orjson, and the browsable API for people in a browser.

JSON: the same bytes DRF's JSONRenderer writes, faster.

Serializers hand over strings for decimals, dates and UUIDs already, so most
responses are plain dicts and lists, which orjson writes natively. Anything
else (a datetime or decimal placed in a response by hand, a lazy translation
string) goes through DRF's own encoder, so the output does not change: UTC
datetimes end in ``Z``, decimals follow ``COERCE_DECIMAL_TO_STRING``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from django.conf import settings
from django.http import QueryDict
from rest_framework import renderers
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.utils.serializer_helpers import ReturnDict

from common.api.errors import PROBLEM_CONTENT_TYPE, ErrorCode
from common.auth.admin_sign_in import signed_in_by_session

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


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API, for people signed in to the service's admin.

    A view names the serializer its body is validated with in ``serializer_class``
    (the same nested ``InputSerializer`` it uses itself); the forms are built from it:

    - HTML forms only for a person signed in by session, the only caller whose form
      bodies are parsed (``common.api.negotiation``); raw-data (JSON) forms for everyone.
    - PUT/PATCH forms start from the resource as the page shows it (the input fields
      bear the output's names), never from the model behind it.
    - After a refused submission the form comes back with what was sent, and the
      HTML form with its field errors beside the fields.

    An error response shows the problem readably above the raw response
    (``rest_framework/api.html``), with the page's status unchanged.
    """

    def get_context(
        self, data: Any, accepted_media_type: str, renderer_context: dict[str, Any]
    ) -> dict[str, Any]:
        context = super().get_context(data, accepted_media_type, renderer_context)
        problem = _problem(data, renderer_context["response"])
        if problem is not None:  # what a JSON client gets, in the headers shown
            context["response_headers"]["Content-Type"] = PROBLEM_CONTENT_TYPE
        context["problem"] = problem
        # A list of pairs: the template would read errors.items as a field named "items".
        context["problem_errors"] = list((problem or {}).get("errors", {}).items())
        context["service_name"] = settings.SERVICE_NAME
        return context

    def get_rendered_html_form(self, data: Any, view: Any, method: str, request: Request) -> Any:
        if method in _BODY_METHODS and not signed_in_by_session(request):
            return None
        return super().get_rendered_html_form(
            self._for_forms(data, view, method, request), view, method, request
        )

    def get_raw_data_form(self, data: Any, view: Any, method: str, request: Request) -> Any:
        form = super().get_raw_data_form(_without_serializer(data), view, method, request)
        if form is None:
            return None
        body = self._raw_body(data, view, method, request)
        if body is not None:
            form.fields["_content"].initial = (
                renderers.JSONRenderer().render(body, "application/json", {"indent": 4}).decode()
            )
        return form

    def _input(self, view: Any, request: Request, **kwargs: Any) -> Any:
        serializer_class = getattr(view, "serializer_class", None)
        if serializer_class is None:
            return None
        return self._get_serializer(serializer_class, view, request, **kwargs)

    def _refused_submission(self, method: str, request: Request) -> bool:
        response = self.renderer_context["response"]
        return request.method == method and response.status_code >= 400

    def _for_forms(self, data: Any, view: Any, method: str, request: Request) -> Any:
        """``data`` as DRF's form builders read it: ``data.serializer`` is the form shown
        for the request's own method, and its ``instance`` fills PUT and PATCH forms."""
        if not isinstance(data, Mapping):
            return data
        serializer = None
        if (
            self._refused_submission(method, request)
            and data.get("code") == ErrorCode.VALIDATION_ERROR
        ):
            serializer = self._input(view, request, data=_submitted(request))
        elif method in _UPDATE_METHODS and _is_resource(data):
            serializer = self._input(view, request, instance=dict(data))
        if serializer is None:
            return _without_serializer(data)
        return ReturnDict(data, serializer=serializer)

    def _raw_body(self, data: Any, view: Any, method: str, request: Request) -> Any:
        """The raw-data form's initial body: what was sent, after a refused submission;
        else the input serializer's fields (for PUT/PATCH, the resource's values)."""
        if self._refused_submission(method, request):
            submitted = _submitted(request)
            if isinstance(submitted, Mapping) and not isinstance(submitted, QueryDict):
                return submitted
        if method in _UPDATE_METHODS and _is_resource(data):
            serializer = self._input(view, request, instance=dict(data))
        else:
            serializer = self._input(view, request)
        return None if serializer is None else serializer.data


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_UPDATE_METHODS = frozenset({"PUT", "PATCH"})


def _is_resource(data: Any) -> bool:
    """Whether a response's data is one resource (a serializer's output, not a list)."""
    serializer = getattr(data, "serializer", None)
    return serializer is not None and not getattr(serializer, "many", False)


def _without_serializer(data: Any) -> Any:
    return dict(data) if isinstance(data, ReturnDict) else data


def _submitted(request: Request) -> Any:
    try:
        return request.data
    except APIException:  # the body could not be parsed; the problem says why
        return {}


def _problem(data: Any, response: Any) -> Mapping[str, Any] | None:
    if response.status_code >= 400 and isinstance(data, Mapping) and "title" in data:
        return data
    return None
