import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ImproperlyConfigured
from jwt.algorithms import RSAAlgorithm

from common import jwt_keys
from common import settings as common_settings


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("yes", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_yes_and_no_words(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert common_settings.env_bool("SOME_FLAG") is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        common_settings.env_bool("SOME_FLAG")


def test_env_int_refuses_words(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        common_settings.env_int("SOME_NUMBER", 1)


def test_debug_is_off_unless_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DEBUG", raising=False)
    assert common_settings.service_defaults("svc", domain_apps=[])["DEBUG"] is False
    monkeypatch.setenv("DEBUG", "true")
    assert common_settings.service_defaults("svc", domain_apps=[])["DEBUG"] is True


def test_development_defaults_live_under_var(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    for name in ("DATABASE_URL", "SECRET_KEY", "JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)
    values = common_settings.service_defaults("svc", domain_apps=[], jwt_signing=True)
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "svc" / "db.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    secret_file = tmp_path / "svc" / "secret_key"
    assert values["SECRET_KEY"] == secret_file.read_text().strip()
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    # The same secret on the next start.
    again = common_settings.service_defaults("svc", domain_apps=[], jwt_signing=True)
    assert again["SECRET_KEY"] == values["SECRET_KEY"]
    private = tmp_path / "jwt" / "private.pem"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert values["SIMPLE_JWT"]["ALGORITHM"] == "RS256"
    assert values["SIMPLE_JWT"]["SIGNING_KEY"] == private.read_text()


def test_database_url_selects_postgres(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://app:pw@db.internal:5433/clients")
    database = common_settings.database("svc")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        5433,
        "clients",
    )


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "JWT_PRIVATE_KEY"]
)
def test_production_requires_explicit_configuration(monkeypatch, tmp_path, missing):
    pair = jwt_keys.ensure_dev_key_pair(tmp_path / "keys")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db/app")
    monkeypatch.setenv("ALLOWED_HOSTS", "api.example.com")
    monkeypatch.setenv("JWT_PRIVATE_KEY", pair.private_pem)
    monkeypatch.setenv("JWT_PUBLIC_KEY", pair.public_pem)
    common_settings.service_defaults("svc", domain_apps=[], jwt_signing=True)  # complete: fine
    monkeypatch.delenv(missing)
    with pytest.raises(ImproperlyConfigured, match=missing):
        common_settings.service_defaults("svc", domain_apps=[], jwt_signing=True)


def test_production_never_writes_generated_secrets(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured):
        common_settings.secret_key("svc")
    assert not (tmp_path / "svc" / "secret_key").exists()


def test_the_admin_sign_in_secret_is_shared_in_development_and_explicit_in_production(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("ADMIN_SIGN_IN_SECRET", raising=False)
    # Development: one generated secret under var/, the same for every service there.
    users = common_settings.service_defaults("users_api", domain_apps=[])
    clients = common_settings.service_defaults("clients_api", domain_apps=[])
    secret_file = tmp_path / "admin_sign_in_secret"
    assert users["ADMIN_SIGN_IN_SECRET"] == clients["ADMIN_SIGN_IN_SECRET"]
    assert users["ADMIN_SIGN_IN_SECRET"] == secret_file.read_text().strip()
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    # Production: only what the operator sets; unset, nothing is handed over.
    secret_file.unlink()
    monkeypatch.setenv("ENVIRONMENT", "production")
    assert common_settings.admin_sign_in_secret() == ""
    assert not secret_file.exists()
    monkeypatch.setenv("ADMIN_SIGN_IN_SECRET", "operator-chosen")
    assert common_settings.admin_sign_in_secret() == "operator-chosen"


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "staging")
    with pytest.raises(ImproperlyConfigured, match="ENVIRONMENT"):
        common_settings.is_production()


def test_dev_key_pair_is_generated_once(tmp_path):
    first = jwt_keys.ensure_dev_key_pair(tmp_path)
    second = jwt_keys.ensure_dev_key_pair(tmp_path)
    assert first == second
    assert "BEGIN PRIVATE KEY" in first.private_pem
    assert jwt_keys.public_pem_of(first.private_pem) == first.public_pem


def test_verifying_services_get_no_private_key(monkeypatch, tmp_path):
    monkeypatch.delenv("JWT_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("JWT_PUBLIC_KEY", raising=False)
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
