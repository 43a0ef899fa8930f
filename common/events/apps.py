from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Installed by the services that publish or consume events (with the settings of
    common.settings.events); users_api has neither, nor these tables."""

    name = "common.events"
    label = "events"
    verbose_name = _("Events")
