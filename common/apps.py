from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from common import admin_auth, schema  # noqa: F401 - schema registers the OpenAPI auth extension

        user_logged_in.connect(admin_auth.remember_codes, dispatch_uid="common.remember_codes")
