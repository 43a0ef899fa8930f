"""Print a .env for docker compose with fresh secrets and a fresh RS256 key pair.

    python scripts/make_env.py > .env

Multi-line PEM keys are written with escaped newlines inside double quotes,
which docker compose's .env parser turns back into real newlines.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.jwt_keys import ensure_dev_key_pair

SERVICES = ["users_api", "clients_api", "products_api", "orders_api"]


def _quoted(pem: str) -> str:
    return '"' + pem.strip().replace("\n", "\\n") + '"'


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        keys = ensure_dev_key_pair(Path(directory))
    print(f"POSTGRES_PASSWORD={secrets.token_urlsafe(24)}")
    for service in SERVICES:
        print(f"{service.upper()}_SECRET_KEY={secrets.token_urlsafe(50)}")
    # The `cluster` profile: each service's database role, the RabbitMQ cluster.
    for service in SERVICES:
        print(f"{service.upper()}_DB_PASSWORD={secrets.token_urlsafe(24)}")
    print(f"RABBITMQ_PASSWORD={secrets.token_urlsafe(24)}")
    print(f"RABBITMQ_ERLANG_COOKIE={secrets.token_hex(32)}")
    print(f"JWT_PRIVATE_KEY={_quoted(keys.private_pem)}")
    print(f"JWT_PUBLIC_KEY={_quoted(keys.public_pem)}")


if __name__ == "__main__":
    main()
