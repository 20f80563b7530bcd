"""HMACs with the broker's secrets (kept in the store, so every node derives the same values):
pairwise pseudonyms, the ids a tool sees for classes and resource links, and signed tokens the
gateway hands out and later takes back (launch links, login and message hints).

A pairwise value is HMAC-SHA256(secret, purpose | tool | ids...) in lowercase hex: stable for
one tool, unlinkable across tools, irreversible without the secret, and lowercase so that
pylti1p3 2.0.0 (which lowercases paging URLs) keeps it intact."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import threading
import time
from typing import Any

import orjson
from sqlalchemy import Engine

from gateway.auth.lti_state import secret

PAIRWISE = "pairwise"
TOKENS = "tokens"
SEP = "\x1f"


class BadSignature(ValueError):
    """A signed token was altered, is for another purpose or has expired."""


class Secrets:
    """The broker's secrets, read from the store once per process."""

    def __init__(self) -> None:
        self._values: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, engine: Engine, name: str) -> bytes:
        found = self._values.get(name)
        if found is None:
            found = secret(engine, name)
            with self._lock:
                self._values[name] = found
        return found


def _mac(key: bytes, *parts: str) -> bytes:
    return hmac.new(key, SEP.join(parts).encode("utf-8"), hashlib.sha256).digest()


@functools.lru_cache(maxsize=1 << 16)
def pairwise(key: bytes, purpose: str, tool_client_id: str, *ids: str, size: int = 20) -> str:
    """A per-tool pseudonym of `ids` (`size` bytes, as lowercase hex). Remembered per process:
    a roster page names the same members again and again (NRPS pages, AGS userId lookups)."""
    return _mac(key, purpose, tool_client_id, *ids)[:size].hex()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, purpose: str, payload: dict[str, Any], lifetime: int) -> str:
    """`payload` with an expiry, as `body.mac` (URL-safe): readable, not forgeable."""
    body = _b64(orjson.dumps({**payload, "exp": int(time.time()) + lifetime}))
    return body + "." + _b64(_mac(key, purpose, body))


def unsign(key: bytes, purpose: str, token: str | None) -> dict[str, Any]:
    """The payload of a token made by `sign` for `purpose`, or BadSignature."""
    if not token or len(token) > 4096 or token.count(".") != 1:
        raise BadSignature("malformed")
    body, mac = token.split(".")
    try:
        given = _unb64(mac)
    except ValueError:
        raise BadSignature("malformed") from None
    if not hmac.compare_digest(given, _mac(key, purpose, body)):
        raise BadSignature("signature")
    try:
        payload = orjson.loads(_unb64(body))
    except ValueError:
        raise BadSignature("malformed") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        raise BadSignature("malformed")
    if payload["exp"] <= time.time():
        raise BadSignature("expired")
    return payload
