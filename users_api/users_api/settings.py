"""users_api: users, roles, permission grants and login (the JWT issuer); publishes
users.* events (each user's state, for the other services' revocations)."""

from common.operations.logging_setup import logging_config
from common.settings import base
from common.settings.base import *  # noqa: F403
from common.settings.environment import (
    cookie_names,
    database,
    env_float,
    env_int,
    env_str,
    listen_database_url,
    secret_key,
    service_dir,
    simple_jwt,
)
from common.settings.events import *  # noqa: F403
from common.settings.events import readiness_checks

SERVICE_NAME = "users_api"
# users before django.contrib.auth, whose changepassword would otherwise be the one run
# (users.management.commands.changepassword says why it is replaced).
_AUTH = base.INSTALLED_APPS.index("django.contrib.auth")
INSTALLED_APPS = [
    *base.INSTALLED_APPS[:_AUTH],
    "users",
    *base.INSTALLED_APPS[_AUTH:],
    "common.events",
]
# The permission codes this service's views check. users_api also owns the whole catalogue
# (users.permission_catalogue: every service's codes, served at /api/v1/permissions/);
# e2e/test_permission_codes.py holds it equal to the four services' PERMISSION_CODES.
PERMISSION_CODES = frozenset(
    {
        "users.view_user",
        "users.add_user",
        "users.change_user",
        "users.delete_user",
        "users.view_role",
        "users.add_role",
        "users.change_role",
        "users.delete_role",
        "users.view_permission",
    }
)
ROOT_URLCONF = "users_api.urls"
WSGI_APPLICATION = "users_api.wsgi.application"
SECRET_KEY = secret_key(SERVICE_NAME)
SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = cookie_names(SERVICE_NAME)
DATABASES = {"default": database(SERVICE_NAME)}
STATIC_ROOT = str(service_dir(SERVICE_NAME) / "static")
LOGGING = logging_config(SERVICE_NAME)
SPECTACULAR_SETTINGS = {
    "TITLE": f"Sistema Multi-APIs — {SERVICE_NAME}",
    **base.SPECTACULAR_SETTINGS,
}
# The issuer: it signs the tokens every service verifies.
SIMPLE_JWT = simple_jwt(signing=True)

EVENTS_CONSUMER_QUEUE = None
EVENTS_LISTEN_DATABASE_URL = listen_database_url(SERVICE_NAME)
READINESS_CHECKS = readiness_checks(consuming=False)
# A revocation (common.auth.revocations) reaches every service within 60 s even when the
# broker loses its event and the sweep's first repair: sweeps every 15 s, so the second
# repair leaves within 30 s (docs/events.md).
EVENTS_CONVERGENCE_SECONDS = env_float("USERS_EVENTS_CONVERGENCE_SECONDS", 45.0)

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["users.backends.PermissionCodeBackend"]

PASSWORD_HASHERS = [
    # Django's Argon2 hasher uses the Argon2id variant.
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login limits (users.throttling), counted in the cache (share it between processes
# with CACHE_URL in any deployment with more than one process).
LOGIN_RATE_PER_IP = env_str("LOGIN_RATE_PER_IP", "30/min")
LOGIN_FAILURES_PER_ACCOUNT_AND_IP = env_str("LOGIN_FAILURES_PER_ACCOUNT_AND_IP", "10/15min")
LOGIN_FAILURES_PER_ACCOUNT = env_str("LOGIN_FAILURES_PER_ACCOUNT", "100/hour")
LOGIN_KNOWN_ADDRESS_DAYS = env_int("LOGIN_KNOWN_ADDRESS_DAYS", 30)
REGISTER_RATE_PER_IP = env_str("REGISTER_RATE_PER_IP", "20/hour")

# users_api has the accounts: every bearer request also checks the account is still active.
REST_FRAMEWORK = {
    **base.REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.ActiveAccountJWTAuthentication"
        if name == "common.auth.access.JWTAuthentication"
        else name
        for name in base.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
    ],
}
