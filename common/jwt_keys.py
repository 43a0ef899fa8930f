"""RS256 key material for issuing and verifying tokens.

Production reads PEM text from ``JWT_PRIVATE_KEY`` / ``JWT_PUBLIC_KEY``. Development
generates one key pair under ``var/jwt/`` on first use (private key mode 0600), so
every service on the machine verifies with the same public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

PRIVATE_FILE = "private.pem"
PUBLIC_FILE = "public.pem"


@dataclass(frozen=True)
class KeyPair:
    private_pem: str  # empty for services that only verify
    public_pem: str


def public_pem_of(private_pem: str) -> str:
    private_key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _generate_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _write_exclusive(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to ``path`` unless it exists; the first writer wins a race."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def ensure_dev_key_pair(directory: Path) -> KeyPair:
    """Return the development key pair in ``directory``, generating it on first use."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path = directory / PRIVATE_FILE
    if not private_path.exists():
        _write_exclusive(private_path, _generate_private_pem(), 0o600)
    private_pem = private_path.read_text()
    public_pem = public_pem_of(private_pem)
    public_path = directory / PUBLIC_FILE
    if not public_path.exists():
        _write_exclusive(public_path, public_pem, 0o644)
    return KeyPair(private_pem=private_pem, public_pem=public_pem)


def load(directory: Path, *, production: bool, signing: bool) -> KeyPair:
    """The keys this process needs.

    Raises ImproperlyConfigured in production when a required key is missing.
    """
    private_pem = os.environ.get("JWT_PRIVATE_KEY", "").strip()
    public_pem = os.environ.get("JWT_PUBLIC_KEY", "").strip()
    if private_pem and not public_pem:
        public_pem = public_pem_of(private_pem)
    if production:
        if signing and not private_pem:
            raise ImproperlyConfigured("JWT_PRIVATE_KEY is required when ENVIRONMENT=production")
        if not public_pem:
            raise ImproperlyConfigured("JWT_PUBLIC_KEY is required when ENVIRONMENT=production")
        return KeyPair(private_pem=private_pem if signing else "", public_pem=public_pem)
    if public_pem and (private_pem or not signing):
        return KeyPair(private_pem=private_pem if signing else "", public_pem=public_pem)
    pair = ensure_dev_key_pair(directory)
    return KeyPair(private_pem=pair.private_pem if signing else "", public_pem=pair.public_pem)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_pem: str) -> dict[str, str]:
    """The public key as a JWK, with its RFC 7638 thumbprint as ``kid``."""
    public_key = serialization.load_pem_public_key(public_pem.encode())
    numbers = public_key.public_numbers()
    n = _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))
    e = _b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big"))
    canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"))
    kid = _b64url(hashlib.sha256(canonical.encode()).digest())
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}
