import importlib.util
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ImproperlyConfigured
from jwt.algorithms import RSAAlgorithm

from common.auth import jwt_keys
from common.development.devfiles import ensure_dev_files
from common.settings import environment

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("yes", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_yes_and_no_words(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert environment.env_bool("SOME_FLAG") is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        environment.env_bool("SOME_FLAG")


def test_env_int_refuses_words(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        environment.env_int("SOME_NUMBER", 1)


def fresh_settings(name: str) -> ModuleType:
    """A new execution of the settings module ``name``, and of the settings modules it
    star-imports, under the current environment. The imported ones, which Django read at
    start, stay as they are."""
    shared = ("common.settings.base", "common.settings.events")
    imported = {module: sys.modules.pop(module) for module in shared if module in sys.modules}
    try:
        spec = importlib.util.find_spec(name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        for module in shared:
            sys.modules.pop(module, None)
        sys.modules.update(imported)


@pytest.fixture
def dev_var(monkeypatch, tmp_path):
    """An empty var/ and no secrets in the environment: development's defaults."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ENVIRONMENT", "development")
    for name in (
        "DATABASE_URL",
        "SECRET_KEY",
        "JWT_PRIVATE_KEY",
        "JWT_PUBLIC_KEY",
        "ADMIN_SIGN_IN_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_debug_is_off_unless_asked(monkeypatch, dev_var):
    ensure_dev_files("svc")
    monkeypatch.delenv("DEBUG", raising=False)
    assert fresh_settings("common.settings.base").DEBUG is False
    monkeypatch.setenv("DEBUG", "true")
    assert fresh_settings("common.settings.base").DEBUG is True


def test_development_defaults_live_under_var(dev_var):
    ensure_dev_files("svc")
    database = environment.database("svc")
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(dev_var / "svc" / "db.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert (dev_var / "svc" / "static").is_dir()
    secret_file = dev_var / "svc" / "secret_key"
    secret = environment.secret_key("svc")
    assert secret == secret_file.read_text().strip()
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    # The same secret on the next start.
    ensure_dev_files("svc")
    assert environment.secret_key("svc") == secret
    private = dev_var / "jwt" / "private.pem"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    jwt = environment.simple_jwt(signing=True)
    assert jwt["ALGORITHM"] == "RS256"
    assert jwt["SIGNING_KEY"] == private.read_text()


def test_development_settings_without_their_files_say_how_to_make_them(dev_var):
    with pytest.raises(ImproperlyConfigured, match="ensure_dev_files"):
        environment.secret_key("svc")
    with pytest.raises(ImproperlyConfigured, match="ensure_dev_files"):
        environment.simple_jwt(signing=False)
    assert not any(dev_var.iterdir())


# Imports the settings module named first, in development and without its files (refused),
# then makes them and imports it again: what var/ holds is printed after each step.
_IMPORT_TWICE = """
import importlib, json, os, sys
from pathlib import Path
from django.core.exceptions import ImproperlyConfigured

module, service = sys.argv[1:3]
var = Path(os.environ["VAR_DIR"])

def listing():
    return sorted(str(path.relative_to(var)) for path in var.rglob("*"))

def forget():
    for name in [*sys.modules]:
        if name == module or name.startswith("common.settings."):
            del sys.modules[name]

steps = {}
try:
    importlib.import_module(module)
except ImproperlyConfigured as exc:
    steps["refused"] = str(exc)
steps["after_import"] = listing()
from common.development.devfiles import ensure_dev_files
ensure_dev_files(service)
steps["after_ensure"] = listing()
forget()
importlib.import_module(module)
steps["after_second_import"] = listing()
print(json.dumps(steps))
"""

SETTINGS_MODULES = [
    ("users_api.settings", "users_api", REPO / "users_api"),
    ("clients_api.settings", "clients_api", REPO / "clients_api"),
    ("products_api.settings", "products_api", REPO / "products_api"),
    ("orders_api.settings", "orders_api", REPO / "orders_api"),
    ("common.tests.settings", "common_tests", REPO),
]


def _settings_process_env(var: Path, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith(("DATABASE_URL", "SECRET_KEY", "SECRET"))
        and not name.startswith(("JWT_", "DJANGO_"))
    }
    return {
        **env,
        "VAR_DIR": str(var),
        "ENVIRONMENT": "development",
        "PYTHONPATH": str(REPO),
        **extra,
    }


def _python_in(directory: Path, var: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    """``script`` run by a new Python in ``directory``, in development, ``var`` as var/."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=directory,
        env=_settings_process_env(var),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(("module", "service", "directory"), SETTINGS_MODULES)
def test_importing_settings_creates_nothing(tmp_path, module, service, directory):
    """Only ensure_dev_files() writes: importing a service's settings in development
    without its files is refused, naming the function, and leaves var/ empty; once they
    exist, importing reads them and adds nothing."""
    done = _python_in(directory, tmp_path, _IMPORT_TWICE, module, service)
    assert done.returncode == 0, done.stderr
    steps = json.loads(done.stdout)
    assert "ensure_dev_files" in steps["refused"]
    assert steps["after_import"] == []
    made = {
        f"{service}",
        f"{service}/static",
        f"{service}/secret_key",
        "admin_sign_in_secret",
        "jwt",
        "jwt/private.pem",
        "jwt/public.pem",
    }
    assert set(steps["after_ensure"]) == made
    assert steps["after_second_import"] == steps["after_ensure"]


# What a gunicorn worker does: imports <service>.wsgi, then handles requests.
_LOAD_WSGI = """
import gc, importlib, json, sys
from django.test import Client

module = importlib.import_module(sys.argv[1])
frozen = gc.get_freeze_count()
answer = Client().get("/healthz")
print(json.dumps({
    "handler": [type(module.application).__name__, type(module.application.app).__name__],
    "frozen": frozen,
    "status": answer.status_code,
}))
"""


@pytest.mark.parametrize(("module", "service", "directory"), SETTINGS_MODULES[:4])
def test_a_worker_freezes_what_it_loaded_before_its_first_request(
    tmp_path, module, service, directory
):
    """Each wsgi.py goes through common.api.wsgi: its development files are made, chunked
    bodies are read, and the objects loaded at start-up are out of the collector's
    reach, yet it serves."""
    done = _python_in(directory, tmp_path, _LOAD_WSGI, f"{service}.wsgi")
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded["handler"] == ["ChunkedBodies", "WSGIHandler"]  # chunked bodies read
    assert loaded["frozen"] > 50_000  # Django and the service's apps
    assert loaded["status"] == 200
    assert (tmp_path / service / "secret_key").exists()


def test_production_settings_are_read_without_writing(tmp_path):
    pair = jwt_keys.ensure_dev_key_pair(tmp_path / "keys")
    var = tmp_path / "var"
    var.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", "import orders_api.settings"],
        cwd=REPO / "orders_api",
        env=_settings_process_env(
            var,
            ENVIRONMENT="production",
            SECRET_KEY="x" * 50,
            DATABASE_URL="postgres://app@db/app",
            ALLOWED_HOSTS="api.example.com",
            BROKER_URL="redis://broker:6379/0",
            JWT_PUBLIC_KEY=pair.public_pem,
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not any(var.iterdir())


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "JWT_PRIVATE_KEY", "BROKER_URL"]
)
def test_production_requires_explicit_configuration(monkeypatch, tmp_path, missing):
    pair = jwt_keys.ensure_dev_key_pair(tmp_path / "keys")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db/app")
    monkeypatch.setenv("ALLOWED_HOSTS", "api.example.com")
    monkeypatch.setenv("BROKER_URL", "redis://broker:6379/0")
    monkeypatch.setenv("JWT_PRIVATE_KEY", pair.private_pem)
    monkeypatch.setenv("JWT_PUBLIC_KEY", pair.public_pem)
    fresh_settings("common.tests.settings")  # complete: fine
    monkeypatch.delenv(missing)
    with pytest.raises(ImproperlyConfigured, match=missing):
        fresh_settings("common.tests.settings")


def test_production_never_writes_generated_secrets(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ADMIN_SIGN_IN_SECRET", raising=False)
    ensure_dev_files("svc")
    with pytest.raises(ImproperlyConfigured):
        environment.secret_key("svc")
    assert not any(tmp_path.iterdir())


def test_the_admin_sign_in_secret_is_shared_in_development_and_explicit_in_production(
    monkeypatch, dev_var
):
    # Development: one generated secret under var/, the same for every service there.
    ensure_dev_files("users_api")
    users = environment.admin_sign_in_secret()
    ensure_dev_files("clients_api")
    secret_file = dev_var / "admin_sign_in_secret"
    assert environment.admin_sign_in_secret() == users == secret_file.read_text().strip()
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    # Production: only what the operator sets; unset, nothing is handed over.
    secret_file.unlink()
    monkeypatch.setenv("ENVIRONMENT", "production")
    ensure_dev_files("users_api")
    assert environment.admin_sign_in_secret() == ""
    assert not secret_file.exists()
    monkeypatch.setenv("ADMIN_SIGN_IN_SECRET", "operator-chosen")
    assert environment.admin_sign_in_secret() == "operator-chosen"


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "staging")
    with pytest.raises(ImproperlyConfigured, match="ENVIRONMENT"):
        environment.is_production()


def test_dev_key_pair_is_generated_once(tmp_path):
    first = jwt_keys.ensure_dev_key_pair(tmp_path)
    second = jwt_keys.ensure_dev_key_pair(tmp_path)
    assert first == second
    assert "BEGIN PRIVATE KEY" in first.private_pem
    assert jwt_keys.public_pem_of(first.private_pem) == first.public_pem


def test_verifying_services_get_no_private_key(monkeypatch, tmp_path):
    monkeypatch.delenv("JWT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("JWT_PUBLIC_KEY", raising=False)
    jwt_keys.ensure_dev_key_pair(tmp_path)
    pair = jwt_keys.load(tmp_path, production=False, signing=False)
    assert pair.private_pem == ""
    assert pair.public_pem == (tmp_path / "public.pem").read_text()


def test_jwk_round_trips_and_kid_is_the_rfc7638_thumbprint(tmp_path):
    pair = jwt_keys.ensure_dev_key_pair(tmp_path)
    jwk = jwt_keys.public_jwk(pair.public_pem)
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    key = RSAAlgorithm.from_jwk({name: jwk[name] for name in ("kty", "n", "e")})
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    assert pem == pair.public_pem
    # RFC 7638 section 3.1's example key has this thumbprint.
    example = {
        "kty": "RSA",
        "e": "AQAB",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tS"
            "oc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65Y"
            "GjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdk"
            "t-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqD"
            "Kgw"
        ),
    }
    key = RSAAlgorithm.from_jwk(example)
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    assert jwt_keys.public_jwk(pem)["kid"] == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_each_service_has_cookie_names_of_its_own(dev_var):
    """The four admins share a host (docs/adr/0067-cookie-names-per-service.md): Django's
    default names would make signing in to one sign you out of the others."""
    names = {}
    for service in ("users_api", "clients_api", "products_api", "orders_api"):
        ensure_dev_files(service)
        path = environment.REPO_DIR / service / service / "settings.py"
        spec = importlib.util.spec_from_file_location(f"{service}_settings_under_test", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names[service] = (module.SESSION_COOKIE_NAME, module.CSRF_COOKIE_NAME)
    assert names["products_api"] == ("products_api_sessionid", "products_api_csrftoken")
    cookies = [name for pair in names.values() for name in pair]
    assert len(set(cookies)) == 8 and not {"sessionid", "csrftoken"} & set(cookies)


def test_background_processes_yield_to_requests_by_default(monkeypatch, dev_var):
    ensure_dev_files("svc")
    monkeypatch.delenv("BACKGROUND_NICENESS", raising=False)
    assert fresh_settings("common.settings.base").BACKGROUND_NICENESS == 10
    monkeypatch.setenv("BACKGROUND_NICENESS", "0")
    assert fresh_settings("common.settings.base").BACKGROUND_NICENESS == 0


@pytest.mark.parametrize("raw", ["-1", "20", "baixa"])
def test_a_niceness_out_of_range_is_refused(monkeypatch, dev_var, raw):
    ensure_dev_files("svc")
    monkeypatch.setenv("BACKGROUND_NICENESS", raw)
    with pytest.raises(ImproperlyConfigured, match="BACKGROUND_NICENESS"):
        fresh_settings("common.settings.base")


def test_a_process_yields_once_and_never_climbs_back(tmp_path):
    # In a process (and session) of its own: the priority of this one would outlive the
    # test. Leading its session, it gives its autogroup the niceness too.
    script = (
        "import os, django; django.setup()\n"
        "from common.operations.priority import yield_cpu_to_requests as y, AUTOGROUP\n"
        "group = lambda: AUTOGROUP.read_text().split()[-1]\n"
        "print(y(), y(), os.getpriority(os.PRIO_PROCESS, 0), group())\n"
        "os.setpriority(os.PRIO_PROCESS, 0, 15)\n"
        "print(y(), os.getpriority(os.PRIO_PROCESS, 0), group())\n"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="common.tests.settings", BACKGROUND_NICENESS="7")
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["7 7 7 7", "15 15 7"]
