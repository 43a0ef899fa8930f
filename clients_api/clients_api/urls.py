from common.api.urls import handler400, handler403, handler404, handler500, service_urls

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = service_urls("clients.urls")
