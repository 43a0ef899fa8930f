from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_permission_catalogue(sender: AppConfig, **kwargs: object) -> None:
    from users.services import permission_catalogue_sync

    permission_catalogue_sync(using=str(kwargs.get("using", "default")))


class UsersConfig(AppConfig):
    name = "users"
    label = "users"
    verbose_name = _("Users and permissions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from users import events

        post_migrate.connect(_sync_permission_catalogue, sender=self)
        events.register()
