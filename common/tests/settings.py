"""A throwaway project for testing `common` on its own, with small models."""

from common.operations.logging_setup import logging_config
from common.settings import base
from common.settings.base import *  # noqa: F403
from common.settings.environment import (
    database,
    listen_database_url,
    secret_key,
    service_dir,
    simple_jwt,
)
from common.settings.events import *  # noqa: F403
from common.settings.events import readiness_checks

SERVICE_NAME = "common_tests"
INSTALLED_APPS = [*base.INSTALLED_APPS, "common.events", "common.tests.testapp"]
# The codes the test app's views check (a service names its own part of users_api's catalogue).
PERMISSION_CODES = frozenset(
    {
        "clients.view_client",
        "clients.add_client",
        "clients.change_client",
        "clients.delete_client",
        "orders.view_order",
    }
)
ROOT_URLCONF = "common.tests.urls"
WSGI_APPLICATION = None
SECRET_KEY = secret_key(SERVICE_NAME)
DATABASES = {"default": database(SERVICE_NAME)}
STATIC_ROOT = str(service_dir(SERVICE_NAME) / "static")
LOGGING = logging_config(SERVICE_NAME)
SPECTACULAR_SETTINGS = {
    "TITLE": f"Sistema Multi-APIs — {SERVICE_NAME}",
    **base.SPECTACULAR_SETTINGS,
}
SIMPLE_JWT = simple_jwt(signing=True)

EVENTS_CONSUMER_QUEUE = "common_tests.events"
EVENTS_LISTEN_DATABASE_URL = listen_database_url(SERVICE_NAME)
READINESS_CHECKS = readiness_checks(consuming=True)
EVENTS_TOPOLOGY = {"common_tests.events": ("testapp.#",)}
