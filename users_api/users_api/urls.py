from django.urls import include, path

from common.urls import urlpatterns as common_urlpatterns

urlpatterns = [
    path("api/v1/", include("users.urls")),
    *common_urlpatterns,
]

handler400 = "common.errors.handler400"
handler403 = "common.errors.handler403"
handler404 = "common.errors.handler404"
handler500 = "common.errors.handler500"
