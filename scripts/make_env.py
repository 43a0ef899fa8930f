"""Print a .env for docker compose with fresh secrets and a fresh RS256 key pair.

    python3 scripts/make_env.py > .env

Needs only Python's standard library and the ``openssl`` command (for the key
pair), so it runs before ``make install`` and outside the virtualenv.
Multi-line PEM keys are written with escaped newlines inside double quotes,
which docker compose's .env parser turns back into real newlines.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys

SERVICES = ["users_api", "clients_api", "products_api", "orders_api"]


def _quoted(pem: str) -> str:
    return '"' + pem.strip().replace("\n", "\\n") + '"'


def _openssl(*args: str, stdin: str | None = None) -> str:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SystemExit("make_env.py needs the openssl command to make the RS256 key pair")
    return subprocess.run(
        [openssl, *args], input=stdin, capture_output=True, text=True, check=True
    ).stdout


def rsa_key_pair() -> tuple[str, str]:
    """A new 2048-bit RSA key pair: (private key PKCS#8 PEM, public key SPKI PEM)."""
    private_pem = _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    public_pem = _openssl("pkey", "-pubout", stdin=private_pem)
    return private_pem, public_pem


def main() -> None:
    private_pem, public_pem = rsa_key_pair()
    lines = [f"POSTGRES_PASSWORD={secrets.token_urlsafe(24)}"]
    for service in SERVICES:
        lines.append(f"{service.upper()}_SECRET_KEY={secrets.token_urlsafe(50)}")
        # The password of the service's own PostgreSQL role (deploy/service-database.sql).
        lines.append(f"{service.upper()}_DB_PASSWORD={secrets.token_urlsafe(24)}")
    # Shared by users_api and every admin: signs the address of a browser signing in.
    lines.append(f"ADMIN_SIGN_IN_SECRET={secrets.token_urlsafe(50)}")
    # The `cluster` profile's RabbitMQ nodes.
    lines.append(f"RABBITMQ_PASSWORD={secrets.token_urlsafe(24)}")
    lines.append(f"RABBITMQ_ERLANG_COOKIE={secrets.token_hex(32)}")
    lines.append(f"JWT_PRIVATE_KEY={_quoted(private_pem)}")
    lines.append(f"JWT_PUBLIC_KEY={_quoted(public_pem)}")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
