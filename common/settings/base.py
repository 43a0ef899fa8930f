"""Settings every service shares. A service's settings module star-imports this one and
sets its own: ``SERVICE_NAME``, ``INSTALLED_APPS`` (these plus its apps), ``ROOT_URLCONF``,
``WSGI_APPLICATION``, ``SECRET_KEY``, ``DATABASES``, ``STATIC_ROOT``, ``LOGGING`` and the
schema's title, which depend on its name.

Read from the environment (common.settings.environment); importing writes nothing.
"""

from django.core.exceptions import ImproperlyConfigured

from common import fastpath
from common.development import ports
from common.settings import environment
from common.settings.environment import (
    admin_sign_in_secret,
    allowed_hosts,
    cache,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    is_production,
    metrics_allowed_networks,
    simple_jwt,
    users_api_url,
)

DEBUG = env_bool("DEBUG", False)
# FASTPATH=off: plain Django, DRF and gunicorn, without common.fastpath's speed-ups.
FASTPATH_ENABLED = fastpath.switched_on()
ALLOWED_HOSTS = allowed_hosts()

INSTALLED_APPS = [
    "common.admin.site.BackOfficeAdminConfig",
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
]

MIDDLEWARE = [
    "common.api.middleware.RequestIdMiddleware",
    "common.operations.metrics.MetricsMiddleware",
    # Before anything that may answer an API request, errors included, so that
    # every such answer carries the CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "common.api.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (the admin's language switch), before common (docs/api.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.auth.admin_sign_in.SessionPermissionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.api.middleware.ContentSecurityPolicyMiddleware",
]

# Every HTML page's policy (common.api.middleware.ContentSecurityPolicyMiddleware): scripts
# only from this service's own files (Swagger UI's start-up script too: the docs view
# serves it as one), styles also inline (Django's admin, DRF's and Swagger UI's markup
# carry style attributes, which run nothing), images also as data: URIs (the icons of
# the admin and Swagger UI), no plugins, no framing, forms posted only here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' templates, so admin/base_site.html is the shared one.
        "DIRS": [environment.REPO_DIR / "common" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The admin site's class (common.admin.site): a service whose home opens on a panel
# names its own PanelSite.
BACK_OFFICE_SITE = "common.admin.site.BackOfficeSite"

# Admin sign-in against users_api; users_api replaces it with its own users.
AUTHENTICATION_BACKENDS = ["common.auth.admin_sign_in.UsersApiBackend"]

# The shared admin: where to sign in and where the other admin sites are.
# USERS_API_URL is how this service reaches users_api (server to server);
# <SERVICE>_PUBLIC_URL is where a browser reaches each service, for the links
# between the admin sites.
USERS_API_URL = users_api_url(f"http://127.0.0.1:{ports.SERVICE_PORTS['users_api']}")
USERS_API_TIMEOUT = env_float("USERS_API_TIMEOUT", 5.0)
BACK_OFFICE_URLS = {
    service: env_str(f"{service.upper()}_PUBLIC_URL", f"http://127.0.0.1:{port}")
    for service, port in ports.SERVICE_PORTS.items()
}
# A users_api sign-in ends this long after it began; until then it needs no call
# to users_api (its permission codes are in the session).
ADMIN_SESSION_MAX_AGE = env_int("ADMIN_SESSION_HOURS", 8) * 3600
# How stale a process's copy of the revoked users (common.auth.revocations) may be: a
# revocation reaches a request within this much after it reaches the service.
REVOCATIONS_CACHE_SECONDS = env_float("REVOCATIONS_CACHE_SECONDS", 5.0)
ADMIN_SIGN_IN_SECRET = admin_sign_in_secret()

CACHES = {"default": cache()}

# The niceness of relays, workers and schedulers (common.operations.priority): on a
# shared machine, requests go first and events catch up when the cores are idle.
# 0 runs them at the requests' priority; 19 is the lowest.
BACKGROUND_NICENESS = env_int("BACKGROUND_NICENESS", 10)
if not 0 <= BACKGROUND_NICENESS <= 19:
    raise ImproperlyConfigured(f"BACKGROUND_NICENESS must be 0 to 19, got {BACKGROUND_NICENESS}")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# docs/api.md: Brazilian Portuguese unless the request asks for English
# (Accept-Language, or the admin's switch). Times are stored and sent in UTC and
# shown in São Paulo's time.
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)"), ("en", "English")]
TIME_ZONE = "America/Sao_Paulo"
FORMAT_MODULE_PATH = ["common.localization.formats_by_language"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)
# Deeper JSON is refused with 400 (common.api.parsers): the json module recurses per level.
MAX_JSON_DEPTH = env_int("MAX_JSON_DEPTH", 32)

SECURE_CONTENT_TYPE_NOSNIFF = True
# TLS usually ends at a proxy in front of gunicorn; these follow it.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO") else None
)
SESSION_COOKIE_SECURE = is_production()
CSRF_COOKIE_SECURE = is_production()

REST_FRAMEWORK = {
    # JWT first: a request with neither is challenged for a bearer token (401).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.auth.access.JWTAuthentication",
        "common.auth.admin_sign_in.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "common.api.pagination.LimitOffsetPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "common.api.filters.SearchLimits",  # first: a refused ?search= runs no other filter
        # django-filter's, without a form when no filter is named
        "common.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "common.api.filters.OrderingFilter",  # DRF's, refusing an unknown field
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "common.api.renderers.FastJSONRenderer",
        "common.api.renderers.BrowsableAPIRenderer",
    ],
    # Forms only for the browsable API's signed-in people (common.api.negotiation).
    "DEFAULT_PARSER_CLASSES": [
        "common.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.api.negotiation.BrowserFormNegotiation",
    "DEFAULT_SCHEMA_CLASS": "common.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.errors.problem_exception_handler",
    "DEFAULT_METADATA_CLASS": "common.api.metadata.ViewMetadata",
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

SPECTACULAR_SETTINGS = {
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The API's contract is for JWT clients: bearer tokens and JSON bodies. The
    # browsable API's session and forms are for people in a browser.
    "AUTHENTICATION_WHITELIST": ["common.auth.access.JWTAuthentication"],
    "PARSER_WHITELIST": ["common.api.parsers.DepthLimitedJSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.api.schema.document_problems",
    ],
}

# Services that only verify tokens; the issuer (users_api) signs as well.
SIMPLE_JWT = simple_jwt(signing=False)

# CORS for a front end served from another origin (django-cors-headers). Closed by
# default: no origin is allowed until CORS_ALLOWED_ORIGINS (comma separated, such as
# https://app.example.com) names it. Only the API answers cross-origin, and without
# credentials: a front end sends its bearer token, never the admin's session cookie.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = [
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-match",
    "x-request-id",
]
CORS_EXPOSE_HEADERS = ["ETag", "Location", "Retry-After", "X-Request-ID"]
CORS_PREFLIGHT_MAX_AGE = env_int("CORS_PREFLIGHT_MAX_AGE", 3600)

READINESS_CHECKS = ["common.operations.health.database_check"]
# /readyz answers within this many seconds whatever hangs (under 2 s).
READINESS_TIMEOUT = env_float("READINESS_TIMEOUT", 1.5)

# Where metrics are served: an API's /metrics answers only METRICS_ALLOWED_CIDRS
# (loopback by default); a relay, worker or scheduler serves METRICS_PORT (0: off).
METRICS_ALLOWED_NETWORKS = metrics_allowed_networks()
METRICS_PORT = env_int("METRICS_PORT", 0)
METRICS_ADDRESS = env_str("METRICS_ADDRESS", "127.0.0.1")
METRICS_READ_TIMEOUT = env_float("METRICS_READ_TIMEOUT", 1.5)
