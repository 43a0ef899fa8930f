from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from common.fastpath.projection import render_many

if TYPE_CHECKING:  # DRF imports this module while loading its settings: no cycles at run time
    from rest_framework.generics import GenericAPIView
    from rest_framework.response import Response
    from rest_framework.serializers import BaseSerializer


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """``?limit=&offset=``: 50 by default, 200 at most (a larger limit gives 200).

    DRF reads a value that is not a whole number (``limit=-1``, ``offset=abc``) as
    if it were absent; here it is a 400 naming the parameter, as docs/api.md says
    of every query parameter of the wrong type. The offset is bounded so that no
    value overflows the database's integers.
    """

    default_limit = 50
    max_limit = 200
    max_offset = 1_000_000_000

    def get_limit(self, request: Any) -> int:
        limit = _whole_number(request, self.limit_query_param, low=1, high=None)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request: Any) -> int:
        return _whole_number(request, self.offset_query_param, low=0, high=self.max_offset) or 0


def _whole_number(request: Any, param: str, *, low: int, high: int | None) -> int | None:
    """The parameter's value, None when absent or blank; ValidationError (400) keyed
    ``param`` unless it is a whole number from ``low`` to ``high`` (no upper bound
    when None; at most 18 digits either way)."""
    raw = request.query_params.get(param, "")
    if raw == "":
        return None
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        value = int(raw)
        if value >= low and (high is None or value <= high):
            return value
    message = (
        gettext("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        if high is not None
        else gettext("Enter a whole number of at least %(low)d.") % {"low": low}
    )
    raise ValidationError({param: [message]})


def paginated(view: GenericAPIView, serializer_class: type[BaseSerializer]) -> Response:
    """The body of a list view: the view's filtered queryset, one page, serialized."""

    page = view.paginate_queryset(view.filter_queryset(view.get_queryset()))
    return view.get_paginated_response(render_many(serializer_class, page))
