"""Reading settings from the environment, for the settings modules of common.settings.

Every value has a default that is safe for local development (SQLite and files under
``var/``). ``ENVIRONMENT=production`` turns every default that would be unsafe in a
real deployment into ImproperlyConfigured instead.

Nothing here writes: the development files these functions read (secrets, the JWT
key pair) are made by ``common.devfiles.ensure_dev_files()``, which every entry point
calls before Django reads its settings; a file still missing is ImproperlyConfigured.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from common import jwt_keys

REPO_DIR = Path(__file__).resolve().parents[2]

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


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc


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


def require(name: str) -> str:
    """The variable's value; raises ImproperlyConfigured when it is empty."""
    value = env_str(name).strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is required when ENVIRONMENT=production")
    return value


def var_dir() -> Path:
    """Where the embedded defaults keep their files (databases, keys, broker)."""
    return Path(env_str("VAR_DIR", str(REPO_DIR / "var"))).resolve()


def service_dir(service: str) -> Path:
    """A service's files in development: its SQLite database, secret key, static files."""
    return var_dir() / service


def secret_key_file(service: str) -> Path:
    return service_dir(service) / "secret_key"


def admin_sign_in_secret_file() -> Path:
    return var_dir() / "admin_sign_in_secret"


def jwt_dir() -> Path:
    return var_dir() / "jwt"


def read_dev_file(path: Path, variable: str) -> str:
    """The development value stored at ``path``.

    Raises ImproperlyConfigured when the file is missing: Django was started without
    ``common.devfiles.ensure_dev_files()`` (manage.py, wsgi.py and the Celery apps call
    it) and ``variable`` is unset.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise _missing(path, variable) from None


def _missing(path: Path, variable: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"{path} is missing: set {variable}, or start through manage.py, wsgi.py or a "
        "Celery app, which create the development files (common.devfiles.ensure_dev_files())"
    )


def secret_key(service: str) -> str:
    if is_production():
        return require("SECRET_KEY")
    return env_str("SECRET_KEY") or read_dev_file(secret_key_file(service), "SECRET_KEY")


def cookie_names(service: str) -> tuple[str, str]:
    """A service's session and CSRF cookie names: ``<service>_sessionid`` and
    ``<service>_csrftoken``.

    Browsers keep cookies per host, not per port or path: with Django's default names
    the four admins on one host (ports 8001-8004, or one origin routing by path)
    would overwrite each other's session, and signing in to one signed you out of
    the others (docs/adr/0067-cookie-names-per-service.md).
    """
    return f"{service}_sessionid", f"{service}_csrftoken"


def allowed_hosts() -> list[str]:
    production = is_production()
    default = [] if production else ["localhost", "127.0.0.1", "[::1]", "testserver"]
    hosts = env_list("ALLOWED_HOSTS", default)
    if production and not hosts:
        require("ALLOWED_HOSTS")
    return hosts


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
        url = f"sqlite:///{service_dir(service) / 'db.sqlite3'}"
    config = dj_database_url.parse(
        url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "common.postgresql"  # Django's, with a health check without a query
        # Values travel apart from the statement, and a statement a connection runs
        # often is prepared on its fifth run (psycopg's threshold): PostgreSQL then no
        # longer parses and plans it each time (docs/performance.md). A URL's own
        # ?server_side_binding= or ?prepare_threshold= wins.
        options = config.setdefault("OPTIONS", {})
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
    if pool_mode() == "transaction" and config["ENGINE"].endswith("postgresql"):
        # PgBouncer in transaction mode hands each transaction to any server connection:
        # nothing may outlive a transaction on the server. Named cursors (iterator()) and
        # prepared statements would, so both are off. Values still travel apart from
        # the statement: an unnamed statement lives within its transaction.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        config.setdefault("OPTIONS", {})["prepare_threshold"] = None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Tests get a file too, not Django's in-memory default: concurrent tests and the
        # processes some tests start need the same locking as the real thing.
        config["TEST"] = {"NAME": str(service_dir(service) / "test.sqlite3")}
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock when a transaction starts, so two writers
            # queue on busy_timeout instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


def pool_mode() -> str:
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
    if not url.startswith(("postgres://", "postgresql://")) or pool_mode() == "transaction":
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
    try:
        keys = jwt_keys.load(jwt_dir(), production=is_production(), signing=signing)
    except FileNotFoundError as exc:
        raise _missing(Path(exc.filename), "JWT_PRIVATE_KEY") from None
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


def metrics_allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """An API's /metrics answers only ``METRICS_ALLOWED_CIDRS`` (loopback by default)."""
    cidrs = env_list("METRICS_ALLOWED_CIDRS", ["127.0.0.0/8", "::1/128"])
    try:
        return [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_CIDRS: {exc}") from exc


def admin_sign_in_secret() -> str:
    """The key users_api and the services' admins share to hand over a signing-in
    browser's address (common.admin_auth), so users_api throttles that address
    rather than the service's.

    Development: a file under var/, shared by every service there.
    Production: ``ADMIN_SIGN_IN_SECRET``, the same value in users_api and every
    service; unset, no address is handed over and users_api counts admin
    sign-ins against the calling service's address.
    """
    secret = env_str("ADMIN_SIGN_IN_SECRET").strip()
    if secret or is_production():
        return secret
    return read_dev_file(admin_sign_in_secret_file(), "ADMIN_SIGN_IN_SECRET")


def users_api_url(default: str) -> str:
    """How this service reaches users_api (server to server): ``USERS_API_URL``."""
    url = env_str("USERS_API_URL", default)
    if not url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"USERS_API_URL must be an http(s) URL, got {url!r}")
    return url
