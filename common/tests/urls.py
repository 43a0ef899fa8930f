from django.urls import path

from common.tests.testapp import views
from common.urls import urlpatterns as common_urlpatterns

urlpatterns = [
    path("api/v1/widgets/", views.WidgetListView.as_view()),
    path("api/v1/widgets/<int:pk>/", views.WidgetDetailView.as_view()),
    path("api/v1/refuse", views.WidgetCreateThenRefuseView.as_view()),
    path("api/v1/crash", views.CrashView.as_view()),
    *common_urlpatterns,
]

handler400 = "common.errors.handler400"
handler403 = "common.errors.handler403"
handler404 = "common.errors.handler404"
handler500 = "common.errors.handler500"
