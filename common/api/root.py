"""``GET /api/v1/``: the service's endpoints, for a JWT client or a person in the
browsable API (the address ``make run`` prints)."""

from __future__ import annotations

import re
from importlib import import_module

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# <uuid:pk> -> {pk}: the parameter's name, as the OpenAPI schema writes it.
_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def endpoints(api_module: str) -> dict[str, str]:
    """Each URL name of ``api_module``'s urlpatterns and its path under /api/v1/, in
    their order, with parameters as ``{name}``."""
    return {
        pattern.name: _PARAMETER.sub(r"{\1}", str(pattern.pattern))
        for pattern in import_module(api_module).urlpatterns
        if pattern.name
    }


class ApiRootView(APIView):
    """Every endpoint of this service: its name and its absolute URL (parameters in braces)."""

    api_module = ""  # set by common.api.urls.service_urls
    name = _("API root")  # the browsable API's title and every page's first breadcrumb

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "products_api",
                value={"product-list": "http://127.0.0.1:8003/api/v1/products/"},
            )
        ],
        tags=["api"],
    )
    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri(reverse("api-root"))
        return Response(
            {name: f"{base}{path}" for name, path in endpoints(self.api_module).items()}
        )
