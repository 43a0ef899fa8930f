from django.urls import path

from clients import views

urlpatterns = [
    path("clients/", views.ClientListView.as_view(), name="client-list"),
    path("clients/<uuid:pk>/", views.ClientDetailView.as_view(), name="client-detail"),
    path("clients/<uuid:pk>/addresses/", views.AddressListView.as_view(), name="address-list"),
    path(
        "clients/<uuid:pk>/addresses/<uuid:aid>/",
        views.AddressDetailView.as_view(),
        name="address-detail",
    ),
]
