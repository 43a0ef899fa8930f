from common.testing import (
    admin_api,
    admin_signed_in,
    client_with,
    sign_like_users_api,
    users_api,
)

__all__ = ["admin_api", "admin_signed_in", "client_with", "sign_like_users_api", "users_api"]
