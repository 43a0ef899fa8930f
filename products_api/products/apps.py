from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "products"
    label = "products"
    verbose_name = _("Products and stock")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from products import events

        events.register()
