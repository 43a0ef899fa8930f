"""Settings helpers shared by every service.

Everything is read from environment variables with defaults that are safe for
local development (the "embedded defaults": SQLite and files under ``var/``).
``ENVIRONMENT=production`` turns every default that would be unsafe in a real
deployment into a hard error instead.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from common import jwt_keys
from common.logging_setup import logging_config
from common.ports import SERVICE_PORTS

REPO_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Parse a boolean variable; raises ImproperlyConfigured on anything but yes/no words."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def is_production() -> bool:
    environment = env_str("ENVIRONMENT", "development").strip().lower()
    if environment not in {"development", "production"}:
        raise ImproperlyConfigured(
            f"ENVIRONMENT must be development or production, got {environment!r}"
        )
    return environment == "production"


def var_dir() -> Path:
    """Where the embedded defaults keep their files (databases, keys, broker)."""
    return Path(env_str("VAR_DIR", str(REPO_DIR / "var"))).resolve()


def _require(name: str) -> str:
    value = env_str(name).strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is required when ENVIRONMENT=production")
    return value


def _read_or_create_secret(path: Path) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use.

    Creation uses O_EXCL so two processes starting at once agree on one secret.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def secret_key(service: str) -> str:
    if is_production():
        return _require("SECRET_KEY")
    return env_str("SECRET_KEY") or _read_or_create_secret(var_dir() / service / "secret_key")


def database(service: str) -> dict[str, Any]:
    """The default database: ``<SERVICE>_DATABASE_URL`` (e.g. ``ORDERS_API_DATABASE_URL``),
    else ``DATABASE_URL``, else SQLite in WAL mode under var/<service>/.

    The per-service name lets one environment (``make run``, a .env) hold every
    service's database without them sharing one.
    """
    own = f"{service.upper()}_DATABASE_URL"
    url = env_str(own).strip() or env_str("DATABASE_URL").strip()
    if not url:
        if is_production():
            raise ImproperlyConfigured(
                f"DATABASE_URL (or {own}) is required when ENVIRONMENT=production"
            )
        path = var_dir() / service / "db.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    config = dj_database_url.parse(
        url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    if _pool_mode() == "transaction" and config["ENGINE"].endswith("postgresql"):
        # PgBouncer in transaction mode hands each transaction to any server connection:
        # nothing may outlive a transaction on the server. Named cursors (iterator()) and
        # prepared statements would, so both are off (Django's psycopg default is already
        # no prepared statements; stated here so no OPTIONS override turns them back on).
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        config.setdefault("OPTIONS", {})["prepare_threshold"] = None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Tests get a file too, not Django's in-memory default: concurrent tests and the
        # processes some tests start need the same locking as the real thing.
        config["TEST"] = {"NAME": str(var_dir() / service / "test.sqlite3")}
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock when a transaction starts, so two writers
            # queue on busy_timeout instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


def _pool_mode() -> str:
    """``DATABASE_POOL_MODE``: ``session`` (a direct connection or a session pooler, the
    default) or ``transaction`` (PgBouncer's transaction pooling)."""
    mode = env_str("DATABASE_POOL_MODE", "session").strip().lower()
    if mode not in {"session", "transaction"}:
        raise ImproperlyConfigured(
            f"DATABASE_POOL_MODE must be session or transaction, got {mode!r}"
        )
    return mode


def listen_database_url(service: str) -> str | None:
    """Where a process that needs a database session of its own (the relay's ``LISTEN``)
    connects: ``<SERVICE>_DIRECT_DATABASE_URL``, past any transaction pooler; else the
    service's database URL when that is PostgreSQL reached directly or through a session
    pooler. None when no such connection exists (SQLite; a transaction pooler with no
    direct URL): the relay then polls only.
    """
    direct = env_str(f"{service.upper()}_DIRECT_DATABASE_URL").strip()
    if direct:
        return direct
    url = env_str(f"{service.upper()}_DATABASE_URL").strip() or env_str("DATABASE_URL").strip()
    if not url.startswith(("postgres://", "postgresql://")) or _pool_mode() == "transaction":
        return None
    return url


def cache() -> dict[str, Any]:
    """CACHE_URL (redis://...) or a per-process memory cache.

    Throttling counts live here, so every process of a deployment must share it.
    """
    url = env_str("CACHE_URL").strip()
    if url:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", ""),
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def simple_jwt(*, signing: bool) -> dict[str, Any]:
    """SIMPLE_JWT settings. Only the issuer (users_api) passes ``signing=True``."""
    keys = jwt_keys.load(var_dir() / "jwt", production=is_production(), signing=signing)
    return {
        "ALGORITHM": "RS256",
        "SIGNING_KEY": keys.private_pem,
        "VERIFYING_KEY": keys.public_pem,
        "AUDIENCE": env_str("JWT_AUDIENCE", "sistema-multi-apis"),
        "ISSUER": env_str("JWT_ISSUER", "sistema-multi-apis/users_api"),
        "LEEWAY": 5,
        "USER_ID_FIELD": "id",
        "USER_ID_CLAIM": "user_id",
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 5)),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
        "AUTH_HEADER_TYPES": ("Bearer",),
        "AUTH_TOKEN_CLASSES": ("common.auth.AccessToken",),
        "TOKEN_USER_CLASS": "common.auth.TokenUser",
        "UPDATE_LAST_LOGIN": False,
    }


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc


def events(service: str, *, consumer_queue: str | None) -> dict[str, Any]:
    """Broker and event settings for a service that publishes or consumes events.

    BROKER_URL defaults to the embedded broker's socket under var/broker/
    (``python -m common.embedded_broker``); production requires it.
    """
    from common import embedded_broker

    url = env_str("BROKER_URL").strip()
    if not url:
        if is_production():
            _require("BROKER_URL")
        url = embedded_broker.url()
    queue_type = env_str("BROKER_QUEUE_TYPE", "classic").strip().lower()
    if queue_type not in {"classic", "quorum"}:
        raise ImproperlyConfigured(
            f"BROKER_QUEUE_TYPE must be classic or quorum, got {queue_type!r}"
        )
    if queue_type == "quorum" and not url.startswith(("amqp://", "amqps://", "pyamqp://")):
        raise ImproperlyConfigured("BROKER_QUEUE_TYPE=quorum needs a RabbitMQ BROKER_URL (amqp://)")
    visibility_timeout = env_int("EVENTS_VISIBILITY_TIMEOUT", 60)
    convergence = env_float("EVENTS_CONVERGENCE_SECONDS", 300.0)
    if convergence <= 0:
        raise ImproperlyConfigured(f"EVENTS_CONVERGENCE_SECONDS must be > 0, got {convergence}")
    soft_limit = env_int("EVENTS_HANDLER_TIME_LIMIT", 30)
    return {
        "BROKER_URL": url,
        "EVENTS_CONSUMER_QUEUE": consumer_queue,
        # Arguments every consuming queue is declared with: quorum queues are replicated
        # over the RabbitMQ cluster's nodes and survive losing a minority of them.
        "EVENTS_QUEUE_ARGUMENTS": {"x-queue-type": "quorum"} if queue_type == "quorum" else {},
        # Behind a transaction pooler the relay LISTENs on a direct connection of its own.
        "DATABASE_POOL_MODE": _pool_mode(),
        "EVENTS_LISTEN_DATABASE_URL": listen_database_url(service),
        "EVENTS_MAX_ATTEMPTS": env_int("EVENTS_MAX_ATTEMPTS", 5),
        "EVENTS_RETRY_BASE_SECONDS": env_float("EVENTS_RETRY_BASE_SECONDS", 1.0),
        "EVENTS_RETRY_MAX_SECONDS": env_float("EVENTS_RETRY_MAX_SECONDS", 30.0),
        "EVENTS_BROKER_CONNECT_TIMEOUT": env_float("EVENTS_BROKER_CONNECT_TIMEOUT", 2.0),
        # Every copy reaches its source's version within this many seconds, whatever the
        # broker loses: the anti-entropy sweep runs every third of it (common.events.convergence).
        "EVENTS_CONVERGENCE_SECONDS": convergence,
        # Pruned by the scheduler: sent outbox rows, then inbox ids (longer than any
        # redelivery could come back).
        "EVENTS_OUTBOX_KEEP_DAYS": env_float("EVENTS_OUTBOX_KEEP_DAYS", 7.0),
        "EVENTS_INBOX_KEEP_DAYS": env_float("EVENTS_INBOX_KEEP_DAYS", 30.0),
        "CELERY_BROKER_URL": url,
        "CELERY_BROKER_TRANSPORT_OPTIONS": {
            # A message held by a worker that died comes back after this (Redis), found by
            # a sweep every 5 s (kombu's default sweeps only every 100 s).
            "visibility_timeout": visibility_timeout,
            "unacked_restore_interval": 5,
            "unacked_restore_throttle": 1,
            # A worker killed while restoring holds kombu's restore lock until it expires
            # (300 s by default), and nothing is restored meanwhile; a restore takes
            # milliseconds.
            "unacked_mutex_expire": 10,
            "socket_timeout": 10,
            "socket_connect_timeout": 3,
            # AMQP: publish returns only once the broker has the message.
            "confirm_publish": True,
        },
        "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
        **(
            {"CELERY_WORKER_CONSUMER": "common.events.quorum:QuorumQueueConsumer"}
            if queue_type == "quorum"
            else {}
        ),
        "CELERY_TASK_ACKS_LATE": True,
        "CELERY_TASK_REJECT_ON_WORKER_LOST": True,
        "CELERY_WORKER_PREFETCH_MULTIPLIER": 1,
        "CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS": True,
        "CELERY_TASK_IGNORE_RESULT": True,
        "CELERY_TASK_SERIALIZER": "json",
        "CELERY_ACCEPT_CONTENT": ["json"],
        "CELERY_IMPORTS": ["common.events.consumer"],
        "CELERY_WORKER_HIJACK_ROOT_LOGGER": False,
        # Handlers are short. A stuck one gets SoftTimeLimitExceeded (retried, then parked);
        # one killed at the hard limit is not acknowledged, so the broker delivers it again.
        # Keep the visibility timeout above the hard limit.
        "CELERY_TASK_SOFT_TIME_LIMIT": soft_limit,
        "CELERY_TASK_TIME_LIMIT": soft_limit + 10,
        "CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT": False,
        "READINESS_CHECKS": [
            "common.health.database_check",
            "common.health.broker_check",
            "common.health.outbox_check",
            *(["common.health.consumer_check"] if consumer_queue else []),
            "common.events.convergence.readiness_check",
        ],
    }


def observability() -> dict[str, Any]:
    """Where metrics are served: an API's /metrics answers only METRICS_ALLOWED_CIDRS
    (loopback by default); a relay, worker or scheduler serves METRICS_PORT (0: off)."""
    cidrs = env_list("METRICS_ALLOWED_CIDRS", ["127.0.0.0/8", "::1/128"])
    try:
        networks = [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_CIDRS: {exc}") from exc
    return {
        "METRICS_ALLOWED_NETWORKS": networks,
        "METRICS_PORT": env_int("METRICS_PORT", 0),
        "METRICS_ADDRESS": env_str("METRICS_ADDRESS", "127.0.0.1"),
        "METRICS_READ_TIMEOUT": env_float("METRICS_READ_TIMEOUT", 1.5),
    }


def back_office() -> dict[str, Any]:
    """Settings of the shared admin: where to sign in and where the other admin sites are.

    ``USERS_API_URL`` is how this service reaches users_api (server to server);
    ``<SERVICE>_PUBLIC_URL`` is where a browser reaches each service, for the
    links between the admin sites.
    """
    users_api_url = env_str("USERS_API_URL", f"http://127.0.0.1:{SERVICE_PORTS['users_api']}")
    if not users_api_url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"USERS_API_URL must be an http(s) URL, got {users_api_url!r}")
    return {
        "USERS_API_URL": users_api_url,
        "USERS_API_TIMEOUT": env_float("USERS_API_TIMEOUT", 5.0),
        "BACK_OFFICE_URLS": {
            service: env_str(f"{service.upper()}_PUBLIC_URL", f"http://127.0.0.1:{port}")
            for service, port in SERVICE_PORTS.items()
        },
        # A users_api sign-in ends this long after it began; until then it needs no call
        # to users_api (its permission codes are in the session).
        "ADMIN_SESSION_MAX_AGE": env_int("ADMIN_SESSION_HOURS", 8) * 3600,
        "ADMIN_SIGN_IN_SECRET": admin_sign_in_secret(),
    }


def admin_sign_in_secret() -> str:
    """The key users_api and the services' admins share to hand over a signing-in
    browser's address (common.admin_auth), so users_api throttles that address
    rather than the service's.

    Development: generated once under var/ and shared by every service there.
    Production: ``ADMIN_SIGN_IN_SECRET``, the same value in users_api and every
    service; unset, no address is handed over and users_api counts admin
    sign-ins against the calling service's address.
    """
    secret = env_str("ADMIN_SIGN_IN_SECRET").strip()
    if secret or is_production():
        return secret
    return _read_or_create_secret(var_dir() / "admin_sign_in_secret")


def cors() -> dict[str, Any]:
    """CORS for a front end served from another origin (django-cors-headers).

    Closed by default: no origin is allowed until ``CORS_ALLOWED_ORIGINS`` (a comma
    separated list such as ``https://app.example.com``) names it. Only the API answers
    cross-origin, and without credentials: a front end sends its bearer token, never
    the admin's session cookie.
    """
    return {
        "CORS_ALLOWED_ORIGINS": env_list("CORS_ALLOWED_ORIGINS", []),
        "CORS_URLS_REGEX": r"^/api/",
        "CORS_ALLOW_CREDENTIALS": False,
        "CORS_ALLOW_HEADERS": [
            "accept",
            "accept-language",
            "authorization",
            "content-type",
            "idempotency-key",
            "if-match",
            "x-request-id",
        ],
        "CORS_EXPOSE_HEADERS": ["ETag", "Location", "Retry-After", "X-Request-ID"],
        "CORS_PREFLIGHT_MAX_AGE": env_int("CORS_PREFLIGHT_MAX_AGE", 3600),
    }


def service_defaults(
    service: str,
    *,
    domain_apps: list[str],
    jwt_signing: bool = False,
) -> dict[str, Any]:
    """Settings every service shares; the service's settings module adds its own.

    ``service`` is the project's package name (``users_api``); it names the
    default database and secret files under ``var/``.
    """
    production = is_production()
    static_root = var_dir() / service / "static"
    static_root.mkdir(parents=True, exist_ok=True)
    debug = env_bool("DEBUG", False)
    default_hosts = [] if production else ["localhost", "127.0.0.1", "[::1]", "testserver"]
    allowed_hosts = env_list("ALLOWED_HOSTS", default_hosts)
    if production and not allowed_hosts:
        _require("ALLOWED_HOSTS")
    return {
        "SERVICE_NAME": service,
        "DEBUG": debug,
        "SECRET_KEY": secret_key(service),
        "ALLOWED_HOSTS": allowed_hosts,
        "INSTALLED_APPS": [
            "common.admin_site.BackOfficeAdminConfig",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "whitenoise.runserver_nostatic",
            "django.contrib.staticfiles",
            "corsheaders",
            "rest_framework",
            "django_filters",
            "drf_spectacular",
            "drf_spectacular_sidecar",
            "common",
            *domain_apps,
        ],
        "MIDDLEWARE": [
            "common.middleware.RequestIdMiddleware",
            "common.metrics.MetricsMiddleware",
            # Before anything that may answer an API request, errors included, so that
            # every such answer carries the CORS headers.
            "corsheaders.middleware.CorsMiddleware",
            "common.middleware.RequestSizeLimitMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            # After sessions (the admin's language switch), before common (docs/api.md).
            "django.middleware.locale.LocaleMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "common.admin_auth.SessionPermissionsMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": f"{service}.urls",
        "WSGI_APPLICATION": f"{service}.wsgi.application",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                # Before the apps' templates, so admin/base_site.html is the shared one.
                "DIRS": [REPO_DIR / "common" / "templates"],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ],
                },
            },
        ],
        # Admin sign-in against users_api; users_api replaces it with its own users.
        "AUTHENTICATION_BACKENDS": ["common.admin_auth.UsersApiBackend"],
        **back_office(),
        "DATABASES": {"default": database(service)},
        "CACHES": {"default": cache()},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        # docs/api.md: Brazilian Portuguese unless the request asks for English
        # (Accept-Language, or the admin's switch). Times are stored and sent in UTC and
        # shown in São Paulo's time.
        "LANGUAGE_CODE": "pt-br",
        "LANGUAGES": [("pt-br", "Português (Brasil)"), ("en", "English")],
        "TIME_ZONE": "America/Sao_Paulo",
        "FORMAT_MODULE_PATH": ["common.formats_by_language"],
        "USE_I18N": True,
        "USE_TZ": True,
        "STATIC_URL": "static/",
        "STATIC_ROOT": str(static_root),
        "MAX_REQUEST_BODY_BYTES": env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024),
        "DATA_UPLOAD_MAX_MEMORY_SIZE": env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024),
        # Deeper JSON is refused with 400 (common.parsers): the json module recurses per level.
        "MAX_JSON_DEPTH": env_int("MAX_JSON_DEPTH", 32),
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        # TLS usually ends at a proxy in front of gunicorn; these follow it.
        "SECURE_SSL_REDIRECT": env_bool("SECURE_SSL_REDIRECT", False),
        "SECURE_HSTS_SECONDS": env_int("SECURE_HSTS_SECONDS", 0),
        "SECURE_PROXY_SSL_HEADER": (
            ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO") else None
        ),
        "SESSION_COOKIE_SECURE": production,
        "CSRF_COOKIE_SECURE": production,
        "REST_FRAMEWORK": {
            # JWT first: a request with neither is challenged for a bearer token (401).
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "common.auth.JWTAuthentication",
                "common.auth.SessionAuthentication",
            ],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_PAGINATION_CLASS": "common.pagination.LimitOffsetPagination",
            "DEFAULT_FILTER_BACKENDS": [
                "django_filters.rest_framework.DjangoFilterBackend",
                "rest_framework.filters.SearchFilter",
                "rest_framework.filters.OrderingFilter",
            ],
            "DEFAULT_RENDERER_CLASSES": [
                "common.renderers.FastJSONRenderer",
                "common.renderers.BrowsableAPIRenderer",
            ],
            # Forms only for the browsable API's signed-in people (common.negotiation).
            "DEFAULT_PARSER_CLASSES": [
                "common.parsers.DepthLimitedJSONParser",
                "rest_framework.parsers.FormParser",
                "rest_framework.parsers.MultiPartParser",
            ],
            "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.negotiation.BrowserFormNegotiation",
            "DEFAULT_SCHEMA_CLASS": "common.schema.AutoSchema",
            "EXCEPTION_HANDLER": "common.errors.problem_exception_handler",
            "DEFAULT_METADATA_CLASS": "common.metadata.ViewMetadata",
            "NUM_PROXIES": env_int("NUM_PROXIES", 0),
        },
        "SPECTACULAR_SETTINGS": {
            "TITLE": f"Sistema Multi-APIs — {service}",
            "VERSION": "1.0.0",
            "SERVE_INCLUDE_SCHEMA": False,
            "SWAGGER_UI_DIST": "SIDECAR",
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "REDOC_DIST": "SIDECAR",
            "COMPONENT_SPLIT_REQUEST": True,
            # The API's contract is for JWT clients: bearer tokens and JSON bodies. The
            # browsable API's session and forms are for people in a browser.
            "AUTHENTICATION_WHITELIST": ["common.auth.JWTAuthentication"],
            "PARSER_WHITELIST": ["common.parsers.DepthLimitedJSONParser"],
            "POSTPROCESSING_HOOKS": [
                "drf_spectacular.hooks.postprocess_schema_enums",
                "common.schema.document_problems",
            ],
        },
        "SIMPLE_JWT": simple_jwt(signing=jwt_signing),
        **cors(),
        "READINESS_CHECKS": ["common.health.database_check"],
        # /readyz answers within this many seconds whatever hangs (under 2 s).
        "READINESS_TIMEOUT": env_float("READINESS_TIMEOUT", 1.5),
        "LOGGING": logging_config(service),
        **observability(),
    }
