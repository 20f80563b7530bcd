"""Token signing keys, kept in the store so every node signs and verifies with the same ones.

The newest unretired key signs. `rotate_keys` retires the current key without withdrawing it: it
stays published and accepted until the last token it signed has expired (`accept_until`), then
drops out of the JWKS and out of every node's key ring.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import Engine, insert, or_, select, update

from gateway.model import SigningKey


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored here is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _new_key(conn) -> str:  # noqa: ANN001
    key = RSAKey.generate_key(2048, private=True)
    kid = key.thumbprint()
    public = {**key.as_dict(private=False), "kid": kid, "use": "sig", "alg": "RS256"}
    conn.execute(insert(SigningKey).values(
        kid=kid, private_pem=key.as_pem(private=True).decode("ascii"), public_jwk=public,
        created_at=_now(), retired_at=None, accept_until=None,
    ))
    return kid


def rotate_keys(engine: Engine, token_lifetime: int) -> str:
    """Retire the signing key(s) and create the one that signs from now; returns its kid."""
    now = _now()
    with engine.begin() as conn:
        conn.execute(
            update(SigningKey).where(SigningKey.retired_at.is_(None))
            .values(retired_at=now, accept_until=now + timedelta(seconds=token_lifetime))
        )
        return _new_key(conn)


def _accepted(now: datetime):  # noqa: ANN202
    return or_(SigningKey.accept_until.is_(None), SigningKey.accept_until > now)


def published_jwks(engine: Engine) -> dict[str, list[dict]]:
    """Public keys a verifier should trust now (RFC 7517 JWK Set)."""
    query = select(SigningKey.public_jwk).where(_accepted(_now())).order_by(SigningKey.id.desc())
    with engine.connect() as conn:
        return {"keys": [row[0] for row in conn.execute(query)]}


class Signer:
    """Finds the signing key on each token issue (one small query, so a rotation made by another
    process applies to the next token) and keeps the parsed private keys."""

    def __init__(self) -> None:
        self._parsed: dict[str, RSAKey] = {}
        self._lock = threading.Lock()

    def current(self, engine: Engine) -> KeySet:
        """The signing key as a one-key set, so authlib/joserfc put its `kid` in the header."""
        query = (select(SigningKey.kid, SigningKey.private_pem)
                 .where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()).limit(1))
        with engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            with engine.begin() as conn:
                _new_key(conn)
            return self.current(engine)
        kid, pem = row
        with self._lock:
            key = self._parsed.get(kid)
            if key is None:
                key = RSAKey.import_key(pem, {"kid": kid, "use": "sig", "alg": "RS256"})
                self._parsed[kid] = key
        return KeySet([key])


class KeyRing:
    """Public keys by kid, held in-process so verifying a token needs no query. An unknown kid
    reloads from the store (at most once per `reload_interval`, so garbage kids cannot flood
    the database); known keys are re-read every `refresh` seconds to see retirements."""

    def __init__(self, reload_interval: float = 0.5, refresh: float = 300.0) -> None:
        self.reload_interval = reload_interval
        self.refresh = refresh
        self._keys: dict[str, tuple[RSAKey, datetime | None]] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def _load(self, engine: Engine) -> None:
        query = select(SigningKey.kid, SigningKey.public_jwk, SigningKey.accept_until)
        with engine.connect() as conn:
            rows = conn.execute(query.where(_accepted(_now()))).all()
        keys = {kid: (RSAKey.import_key(jwk), _aware(until)) for kid, jwk, until in rows}
        with self._lock:
            self._keys = keys
            self._loaded_at = time.monotonic()

    def key_for(self, engine: Engine, kid: str) -> RSAKey | None:
        age = time.monotonic() - self._loaded_at
        if age > self.refresh or (kid not in self._keys and age > self.reload_interval):
            self._load(engine)
        entry = self._keys.get(kid)
        if entry is None:
            return None
        key, accept_until = entry
        if accept_until is not None and accept_until <= _now():
            return None
        return key

    def expect(self, kid: str) -> None:
        """This process just signed with `kid`: make sure the next verification can find it."""
        if kid not in self._keys:
            self.forget()

    def forget(self) -> None:
        self._loaded_at = float("-inf")
