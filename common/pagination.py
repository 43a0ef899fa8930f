from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import pagination

if TYPE_CHECKING:  # DRF imports this module while loading its settings: no cycles at run time
    from rest_framework.generics import GenericAPIView
    from rest_framework.response import Response
    from rest_framework.serializers import BaseSerializer


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """``?limit=&offset=``: 50 by default, 200 at most."""

    default_limit = 50
    max_limit = 200


def paginated(view: GenericAPIView, serializer_class: type[BaseSerializer]) -> Response:
    """The body of a list view: the view's filtered queryset, one page, serialized."""
    from common.projection import render_many

    page = view.paginate_queryset(view.filter_queryset(view.get_queryset()))
    return view.get_paginated_response(render_many(serializer_class, page))
