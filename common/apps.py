from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("Common")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from common import fastpath
        from common.api import schema  # noqa: F401 - the schema registers its extensions
        from common.auth import admin_sign_in
        from common.operations import checks, tracing  # noqa: F401 - checks register themselves

        user_logged_in.connect(admin_sign_in.session_end_set, dispatch_uid="common.session_end_set")
        user_logged_in.connect(admin_sign_in.remember_codes, dispatch_uid="common.remember_codes")
        tracing.setup(service=settings.SERVICE_NAME)
        fastpath.enabled()  # decided (and an untested version said) at start-up
