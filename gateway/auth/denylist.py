"""Revoked token ids. The store is the truth every node shares; each process keeps a copy for
at most `ttl` seconds so a bearer request costs no query, and the process that revokes updates
its own copy at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.model import RevokedToken


def _now() -> datetime:
    return datetime.now(UTC)


class Denylist:
    def __init__(self, ttl: float = 3.0) -> None:
        self.ttl = ttl
        self._jtis: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def _load(self, engine: Engine) -> None:
        query = select(RevokedToken.jti).where(RevokedToken.expires_at > _now())
        with engine.connect() as conn:
            jtis = frozenset(conn.execute(query).scalars())
        with self._lock:
            self._jtis = jtis
            self._loaded_at = time.monotonic()

    def is_revoked(self, engine: Engine, jti: str) -> bool:
        if time.monotonic() - self._loaded_at > self.ttl:
            self._load(engine)
        return jti in self._jtis

    def revoke(self, engine: Engine, jti: str, client_id: str, expires_at: datetime) -> None:
        """Idempotent: revoking a revoked token is not an error. Rows of tokens that have
        expired anyway are swept on the way."""
        now = _now()
        try:
            with engine.begin() as conn:
                conn.execute(delete(RevokedToken).where(RevokedToken.expires_at <= now))
                conn.execute(insert(RevokedToken).values(
                    jti=jti, client_id=client_id, revoked_at=now, expires_at=expires_at))
        except IntegrityError:
            pass
        with self._lock:
            self._jtis = self._jtis | {jti}
