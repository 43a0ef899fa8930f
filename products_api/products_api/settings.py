"""products_api: products, stock (current, minimum, maximum) and its ledger; publishes
products.* events and takes finished orders' items out of stock (orders.* events)."""

from common.operations.logging_setup import logging_config
from common.settings import base
from common.settings.base import *  # noqa: F403
from common.settings.environment import (
    cookie_names,
    database,
    listen_database_url,
    secret_key,
    service_dir,
)
from common.settings.events import *  # noqa: F403
from common.settings.events import readiness_checks

SERVICE_NAME = "products_api"
INSTALLED_APPS = [*base.INSTALLED_APPS, "common.events", "products"]
# The permission codes this service's views check: its part of users_api's catalogue
# (users.permission_catalogue), which is where they are granted.
PERMISSION_CODES = frozenset(
    {
        "products.view_product",
        "products.add_product",
        "products.change_product",
        "products.delete_product",
        "products.view_stockmovement",
        "products.add_stockmovement",
    }
)
ROOT_URLCONF = "products_api.urls"
WSGI_APPLICATION = "products_api.wsgi.application"
SECRET_KEY = secret_key(SERVICE_NAME)
SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = cookie_names(SERVICE_NAME)
DATABASES = {"default": database(SERVICE_NAME)}
STATIC_ROOT = str(service_dir(SERVICE_NAME) / "static")
LOGGING = logging_config(SERVICE_NAME)
SPECTACULAR_SETTINGS = {
    "TITLE": f"Sistema Multi-APIs — {SERVICE_NAME}",
    **base.SPECTACULAR_SETTINGS,
}

EVENTS_CONSUMER_QUEUE = "products_api.events"
EVENTS_LISTEN_DATABASE_URL = listen_database_url(SERVICE_NAME)
READINESS_CHECKS = readiness_checks(consuming=True)
# The admin's home is the stock panel.
BACK_OFFICE_SITE = "products.panel.StockPanelSite"
