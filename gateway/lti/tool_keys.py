"""Peers' public keys: a tool's, for its client assertions and deep-linking responses (the
registered key, or the tool's JWK Set), and an LMS's, for its id_tokens (its JWK Set),
fetched from the URL, cached a few minutes and fetched again (at most every few seconds) when
an assertion names a kid the cache does not hold, so a tool that rotates is followed at once
and a stream of garbage kids cannot make the gateway hammer the tool."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
import requests
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

MAX_JWKS_BYTES = 256 * 1024
TTL = 300.0
REFETCH_EVERY = 5.0
TIMEOUT = 5.0


class KeysUnavailable(Exception):
    """The tool's keys could not be fetched or read; the message says why."""


def _parse(document: Any, whose: str = "tool") -> dict[str, RSAKey]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeysUnavailable(f"the {whose}'s JWK Set is not a JSON object with a keys array")
    keys: dict[str, RSAKey] = {}
    for raw in document["keys"]:
        if not isinstance(raw, dict) or raw.get("kty") != "RSA":
            continue
        if raw.get("use", "sig") != "sig" or raw.get("alg", "RS256") != "RS256":
            continue
        try:
            key = RSAKey.import_key({k: v for k, v in raw.items() if k not in ("d", "p", "q")})
        except (JoseError, ValueError, TypeError):
            continue
        keys[str(raw.get("kid") or key.thumbprint())] = key
    return keys


def _fetch(url: str, whose: str) -> dict[str, RSAKey]:
    try:
        with requests.get(url, timeout=TIMEOUT, stream=True,
                          headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise KeysUnavailable(f"fetching the {whose}'s JWK Set answered "
                                      f"{response.status_code}")
            body = response.raw.read(MAX_JWKS_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise KeysUnavailable(f"the {whose}'s JWK Set could not be fetched "
                              f"({type(exc).__name__})") from None
    if len(body) > MAX_JWKS_BYTES:
        raise KeysUnavailable(f"the {whose}'s JWK Set is larger than 256 KiB")
    try:
        return _parse(orjson.loads(body), whose)
    except orjson.JSONDecodeError:
        raise KeysUnavailable(f"the {whose}'s JWK Set is not JSON") from None


class ToolKeys:
    def __init__(self, whose: str = "tool", refetch_every: float = REFETCH_EVERY) -> None:
        self.whose = whose
        self.refetch_every = refetch_every
        self._cache: dict[str, tuple[float, dict[str, RSAKey]]] = {}
        self._lock = threading.Lock()

    def candidates(self, jwks_url: str | None, public_jwk: dict[str, Any] | None,
                   kid: str | None) -> list[RSAKey]:
        """The keys an assertion with header `kid` may be signed with: the one with that kid,
        or every key when the assertion names none."""
        if public_jwk is not None:
            keys = _parse({"keys": [public_jwk]})
        else:
            assert jwks_url is not None
            keys = self._keys(jwks_url, kid)
        if kid is None:
            return list(keys.values())
        return [keys[kid]] if kid in keys else []

    def _keys(self, url: str, kid: str | None) -> dict[str, RSAKey]:
        now = time.monotonic()
        hit = self._cache.get(url)
        if hit is not None:
            fetched, keys = hit
            fresh = now - fetched < TTL
            if fresh and (kid is None or kid in keys or now - fetched < self.refetch_every):
                return keys
        keys = _fetch(url, self.whose)
        with self._lock:
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[url] = (now, keys)
        return keys
