from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from common import (  # noqa: F401 - checks and schema register themselves
            admin_auth,
            checks,
            schema,
        )

        user_logged_in.connect(admin_auth.remember_codes, dispatch_uid="common.remember_codes")
