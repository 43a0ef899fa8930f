from django.urls import path

from users import views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token", views.TokenView.as_view(), name="auth-token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/jwks", views.JWKSView.as_view(), name="auth-jwks"),
    path("users/me", views.MeView.as_view(), name="user-me"),
    path("users/me/password", views.MePasswordView.as_view(), name="user-me-password"),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/<uuid:pk>/", views.UserDetailView.as_view(), name="user-detail"),
    path("users/<uuid:pk>/roles", views.UserRolesView.as_view(), name="user-roles"),
    path(
        "users/<uuid:pk>/permissions", views.UserPermissionsView.as_view(), name="user-permissions"
    ),
    path("roles/", views.RoleListView.as_view(), name="role-list"),
    path("roles/<uuid:pk>/", views.RoleDetailView.as_view(), name="role-detail"),
    path("permissions/", views.PermissionListView.as_view(), name="permission-list"),
]
