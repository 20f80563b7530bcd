"""Client secrets: generated with enough entropy to resist guessing, stored only as a salted
scrypt hash (the stdlib has it, and its memory cost makes a stolen table slow to attack), and
compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
_LENGTH = 32


def new_secret() -> str:
    """256 random bits, URL-safe so it survives HTTP Basic and form encoding unchanged."""
    return secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * 1024 * 1024, dklen=_LENGTH)


def hash_secret(secret: str) -> str:
    """`scrypt$n$r$p$salt$hash`: the parameters travel with the hash so they can be raised
    later without invalidating the secrets already issued."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(secret, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
