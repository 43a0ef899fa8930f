from django.urls import path

from users.views import auth, management

urlpatterns = [
    path("auth/register", auth.RegisterView.as_view(), name="auth-register"),
    path("auth/token", auth.TokenView.as_view(), name="auth-token"),
    path("auth/token/refresh", auth.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout", auth.LogoutView.as_view(), name="auth-logout"),
    path("auth/jwks", auth.JWKSView.as_view(), name="auth-jwks"),
    path("users/me", auth.MeView.as_view(), name="user-me"),
    path("users/me/password", auth.MePasswordView.as_view(), name="user-me-password"),
    path("users/", management.UserListView.as_view(), name="user-list"),
    path("users/<uuid:pk>/", management.UserDetailView.as_view(), name="user-detail"),
    path("users/<uuid:pk>/roles", management.UserRolesView.as_view(), name="user-roles"),
    path(
        "users/<uuid:pk>/permissions",
        management.UserPermissionsView.as_view(),
        name="user-permissions",
    ),
    path("roles/", management.RoleListView.as_view(), name="role-list"),
    path("roles/<uuid:pk>/", management.RoleDetailView.as_view(), name="role-detail"),
    path("permissions/", management.PermissionListView.as_view(), name="permission-list"),
]
