"""Revoked token ids. The store is the truth every node shares, and revocation is immediate on
every node: a token not known here to be revoked is looked up by its `jti` (one primary-key
read) on each use, so the very next request after a revocation on any worker is refused. Revoked
ids seen once are remembered (a revocation is never undone), so a revoked token costs no query
the second time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.model import RevokedToken


def _now() -> datetime:
    return datetime.now(UTC)


class Denylist:
    def __init__(self) -> None:
        self._jtis: set[str] = set()
        self._lock = threading.Lock()

    def _remember(self, jti: str) -> None:
        with self._lock:
            if len(self._jtis) > 100_000:
                self._jtis.clear()  # bounded memory; the store still has every row
            self._jtis.add(jti)

    def is_revoked(self, engine: Engine, jti: str) -> bool:
        if jti in self._jtis:
            return True
        query = select(RevokedToken.jti).where(RevokedToken.jti == jti)
        with engine.connect() as conn:
            revoked = conn.execute(query).first() is not None
        if revoked:
            self._remember(jti)
        return revoked

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
        self._remember(jti)
