"""clients_api: clients (customers) and their addresses; publishes clients.* events and
ends revoked users' sessions and tokens (users.user.* events)."""

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

SERVICE_NAME = "clients_api"
INSTALLED_APPS = [*base.INSTALLED_APPS, "common.events", "clients"]
# The permission codes this service's views check: its part of users_api's catalogue
# (users.permission_catalogue), which is where they are granted.
PERMISSION_CODES = frozenset(
    {
        "clients.view_client",
        "clients.add_client",
        "clients.change_client",
        "clients.delete_client",
    }
)
ROOT_URLCONF = "clients_api.urls"
WSGI_APPLICATION = "clients_api.wsgi.application"
SECRET_KEY = secret_key(SERVICE_NAME)
SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = cookie_names(SERVICE_NAME)
DATABASES = {"default": database(SERVICE_NAME)}
STATIC_ROOT = str(service_dir(SERVICE_NAME) / "static")
LOGGING = logging_config(SERVICE_NAME)
SPECTACULAR_SETTINGS = {
    "TITLE": f"Sistema Multi-APIs — {SERVICE_NAME}",
    **base.SPECTACULAR_SETTINGS,
}

EVENTS_CONSUMER_QUEUE = "clients_api.events"
EVENTS_LISTEN_DATABASE_URL = listen_database_url(SERVICE_NAME)
READINESS_CHECKS = readiness_checks(consuming=True)
