from common.testing import admin_api, client_with, sign_like_users_api

__all__ = ["admin_api", "client_with", "sign_like_users_api"]
