from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("Common")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from common import (  # noqa: F401 - checks and schema register themselves
            admin_auth,
            checks,
            fastpath,
            schema,
            tracing,
        )

        user_logged_in.connect(admin_auth.session_end_set, dispatch_uid="common.session_end_set")
        user_logged_in.connect(admin_auth.remember_codes, dispatch_uid="common.remember_codes")
        tracing.setup(service=settings.SERVICE_NAME)
        fastpath.enabled()  # decided (and an untested version said) at start-up
