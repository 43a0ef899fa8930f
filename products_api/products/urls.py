from django.urls import path

from products import views

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/<uuid:pk>/", views.ProductDetailView.as_view(), name="product-detail"),
    path(
        "products/<uuid:pk>/stock-movements/",
        views.StockMovementListView.as_view(),
        name="stock-movement-list",
    ),
]
