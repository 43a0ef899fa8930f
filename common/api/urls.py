"""URLs every service serves besides its own API: health, schema, docs, admin.

A service's root urlconf is two lines::

    from common.api.urls import handler400, handler403, handler404, handler500, service_urls
    urlpatterns = service_urls("clients.urls")
"""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.api.root import ApiRootView
from common.operations.health import HealthView, ReadyView

# Django reads these from the root urlconf; services re-export them.
handler400 = "common.api.errors.handler400"
handler403 = "common.api.errors.handler403"
handler404 = "common.api.errors.handler404"
handler500 = "common.api.errors.handler500"


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI, on GET only: its one renderer is the page's template, which has
    nothing to show for OPTIONS (that answered 500); other methods get 405. The
    page's start-up script is served as a file of its own (``?script``), which the
    Content-Security-Policy lets run, rather than written into the page."""

    http_method_names = ["get", "head"]


urlpatterns = [
    path("healthz", HealthView.as_view(), name="healthz"),
    path("readyz", ReadyView.as_view(), name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", DocsView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    # The admin's language switch (set_language) posts here.
    path("i18n/", include("django.conf.urls.i18n")),
]


def service_urls(api_module: str) -> list[URLPattern | URLResolver]:
    """The service's API under /api/v1/, its list at /api/v1/ itself, plus everything above."""
    return [
        path("api/v1/", ApiRootView.as_view(api_module=api_module), name="api-root"),
        path("api/v1/", include(api_module)),
        *urlpatterns,
    ]
