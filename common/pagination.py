from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """``?limit=&offset=``: 50 by default, 200 at most."""

    default_limit = 50
    max_limit = 200
