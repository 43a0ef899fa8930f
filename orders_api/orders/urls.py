from django.urls import path

from orders import views

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/<uuid:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<uuid:pk>/items/", views.OrderItemListView.as_view(), name="order-item-list"),
    path(
        "orders/<uuid:pk>/items/<uuid:iid>/",
        views.OrderItemDetailView.as_view(),
        name="order-item-detail",
    ),
    path("orders/<uuid:pk>/finish", views.OrderFinishView.as_view(), name="order-finish"),
    path("orders/<uuid:pk>/cancel", views.OrderCancelView.as_view(), name="order-cancel"),
    path("client-snapshots/", views.ClientSnapshotListView.as_view(), name="client-snapshot-list"),
    path(
        "client-snapshots/<uuid:pk>/",
        views.ClientSnapshotDetailView.as_view(),
        name="client-snapshot-detail",
    ),
    path(
        "product-snapshots/", views.ProductSnapshotListView.as_view(), name="product-snapshot-list"
    ),
    path(
        "product-snapshots/<uuid:pk>/",
        views.ProductSnapshotDetailView.as_view(),
        name="product-snapshot-detail",
    ),
]
