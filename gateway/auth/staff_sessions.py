"""Server-side sessions for the console and the public pages.

The cookie holds only a random id (256 bits); the session's content lives in the store under
the id's SHA-256, so every node sees the same sessions and signing out ends a session for good
(a signed-cookie session would stay valid, copied, until it expired). Signing in *rotates*
the id (`rotate`): an id planted in a browser before sign-in (session fixation) is worth
nothing after it. Sessions are read only for the console's and public pages' paths, so API
requests never pay for a lookup.

The cookie is HttpOnly, SameSite=Lax, path /, and Secure whenever the gateway is served over
https (or `SESSION_COOKIE_SECURE` says so)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, insert, select, update
from werkzeug.datastructures import CallbackDict

from gateway.model import StaffSession
from gateway.store.engine import for_writes

SESSIONS = StaffSession.__table__
COOKIE = "gateway_console"
LIFETIME = timedelta(hours=8)
PATHS = ("/console", "/privacy")


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial: dict[str, Any] | None = None, sid: str | None = None) -> None:
        def changed(_self: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, changed)
        self.sid = sid
        self.modified = False
        self.rotated = False
        self.ended = False

    def rotate(self) -> None:
        """A new id from this response on, the old row removed (call at sign-in)."""
        self.rotated = True
        self.modified = True

    def end(self) -> None:
        """Forget the session (sign-out): its row goes, the cookie is cleared."""
        self.clear()
        self.ended = True


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class StaffSessions(SessionInterface):
    def _engine(self, app: Flask) -> Any:
        return app.extensions["gateway.store"].engine

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(COOKIE)
        if not sid or not request.path.startswith(PATHS) or len(sid) > 100:
            return ServerSession()
        with self._engine(app).connect() as conn:
            row = conn.execute(select(SESSIONS).where(SESSIONS.c.id_hash == _hash(sid))).first()
        if row is None or _aware(row.expires_at) <= _now():
            return ServerSession()
        data = dict(row.data or {})
        if row.staff_id is not None:
            data["staff_id"] = row.staff_id
        return ServerSession(data, sid)

    def save_session(self, app: Flask, session: ServerSession,  # type: ignore[override]
                     response: Response) -> None:
        engine = self._engine(app)
        domain, path = self.get_cookie_domain(app), "/"
        if session.ended:
            if session.sid:
                with for_writes(engine).begin() as conn:
                    conn.execute(delete(SESSIONS).where(SESSIONS.c.id_hash == _hash(session.sid)))
            response.delete_cookie(COOKIE, domain=domain, path=path)
            return
        if not session.modified:
            return
        data = {k: v for k, v in session.items() if k != "staff_id"}
        staff_id = session.get("staff_id")
        with for_writes(engine).begin() as conn:
            if session.sid and not session.rotated:
                conn.execute(update(SESSIONS).where(SESSIONS.c.id_hash == _hash(session.sid))
                             .values(data=data, staff_id=staff_id))
            else:
                if session.sid:
                    conn.execute(delete(SESSIONS).where(SESSIONS.c.id_hash == _hash(session.sid)))
                conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at < _now()))
                session.sid = secrets.token_urlsafe(32)
                session.rotated = False
                now = _now()
                conn.execute(insert(SESSIONS).values(
                    id_hash=_hash(session.sid), staff_id=staff_id, data=data, created_at=now,
                    expires_at=now + LIFETIME))
        response.set_cookie(COOKIE, session.sid, max_age=int(LIFETIME.total_seconds()),
                            domain=domain, path=path, httponly=True, samesite="Lax",
                            secure=bool(app.config.get("SESSION_COOKIE_SECURE"))
                            or request.is_secure)
        response.vary.add("Cookie")
