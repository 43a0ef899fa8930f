from django.urls import path

from common.api.urls import handler400, handler403, handler404, handler500
from common.api.urls import urlpatterns as common
from common.tests.testapp import views

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("api/v1/widgets/", views.WidgetListView.as_view()),
    path("api/v1/widgets/<int:pk>/", views.WidgetDetailView.as_view()),
    path("api/v1/refuse", views.WidgetCreateThenRefuseView.as_view()),
    path("api/v1/crash", views.CrashView.as_view()),
    *common,
]
