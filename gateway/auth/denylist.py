"""Revoked token ids. The store is the truth every node shares, and revocation is immediate on
every node: a token not known here to be revoked is looked up by its `jti` (one primary-key
read) on each use, so the very next request after a revocation on any worker is refused. Revoked
ids seen once are remembered (a revocation is never undone), so a revoked token costs no query
the second time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from gateway.model import RevokedToken
from gateway.store.driver_sql import fetch
from gateway.store.snapshot import head


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
        with engine.connect() as conn:
            return self.is_revoked_on(conn, jti)

    def is_revoked_on(self, conn: Connection, jti: str) -> bool:
        """On a connection the caller already holds (a request's read snapshot, whose first
        statement may have answered it: gateway.store.snapshot)."""
        if jti in self._jtis:
            return True
        opened = head(conn)
        if opened is not None and opened.jti == jti:
            revoked = opened.revoked
        else:
            revoked = bool(fetch(conn, "SELECT 1 FROM revoked_tokens WHERE jti = ?", (jti,)))
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
