from django.urls import path

from products import views

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product-list"),
    # The contract's path (no trailing slash), listed before the product's own route.
    path("products/reorder", views.ReorderListView.as_view(), name="product-reorder"),
    path("products/<uuid:pk>/", views.ProductDetailView.as_view(), name="product-detail"),
    path(
        "products/<uuid:pk>/stock-movements/",
        views.StockMovementListView.as_view(),
        name="stock-movement-list",
    ),
]
