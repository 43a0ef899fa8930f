from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    label = "products"
    verbose_name = "Products and stock"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from products import events

        events.register()
