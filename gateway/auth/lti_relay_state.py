"""The relay's state in the store (the gateway as the tool of a district's LMS): logins sent to
the LMS and waiting for its id_token, the LMS users and contexts matched to canonical users
and classes, and the launches that matched nothing, listed for district IT. gateway.lti calls
these; it never reads the store itself."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.auth.lti_registry import LtiRegistryError, PlatformRegistration, list_platforms
from gateway.auth.lti_state import AlreadyUsed
from gateway.model import LtiLmsContext, LtiLmsLogin, LtiLmsUser, LtiPlatform, LtiUnmatched
from gateway.store.engine import for_writes

USER, CONTEXT = "user", "context"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def platforms_of(engine: Engine, issuer: str) -> list[PlatformRegistration]:
    """The registrations of one LMS issuer (exact match)."""
    return [p for p in list_platforms(engine) if p.issuer == issuer]


def platform_by_id(engine: Engine, platform_id: int) -> PlatformRegistration | None:
    return next((p for p in list_platforms(engine) if p.id == platform_id), None)


@dataclass(frozen=True)
class LmsLogin:
    id: str
    platform_id: int
    nonce: str
    target_link_uri: str
    expired: bool
    used: bool


def start_lms_login(engine: Engine, platform_id: int, target_link_uri: str,
                    lifetime: int) -> LmsLogin:
    """A login the gateway sends to the LMS's authorization endpoint, with a fresh nonce."""
    now = _now()
    login = LmsLogin(secrets.token_hex(16), platform_id, secrets.token_hex(32),
                     target_link_uri, False, False)
    with for_writes(engine).begin() as conn:
        conn.execute(delete(LtiLmsLogin).where(LtiLmsLogin.expires_at < now - timedelta(hours=1)))
        conn.execute(insert(LtiLmsLogin).values(
            id=login.id, platform_id=platform_id, nonce=login.nonce,
            target_link_uri=target_link_uri, expires_at=now + timedelta(seconds=lifetime),
            used_at=None))
    return login


def find_lms_login(engine: Engine, login_id: str) -> LmsLogin | None:
    with engine.connect() as conn:
        row = conn.execute(select(LtiLmsLogin).where(LtiLmsLogin.id == login_id)).first()
    if row is None:
        return None
    return LmsLogin(row.id, row.platform_id, row.nonce, row.target_link_uri,
                    _aware(row.expires_at) <= _now(), row.used_at is not None)


def take_lms_login(conn: Connection, login_id: str) -> None:
    """Mark the login used (in the caller's transaction), or AlreadyUsed."""
    taken = conn.execute(update(LtiLmsLogin).where(
        LtiLmsLogin.id == login_id, LtiLmsLogin.used_at.is_(None)).values(used_at=_now())).rowcount
    if not taken:
        raise AlreadyUsed("state")


def matched_user(engine: Engine, platform_id: int, lms_user: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(LtiLmsUser.user_id).where(
            LtiLmsUser.platform_id == platform_id, LtiLmsUser.lms_user == lms_user)).scalar()


def matched_class(engine: Engine, platform_id: int, lms_context: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(LtiLmsContext.class_id).where(
            LtiLmsContext.platform_id == platform_id,
            LtiLmsContext.lms_context == lms_context)).scalar()


def remember_match(engine: Engine, platform_id: int, kind: str, lms_value: str,
                   canonical_id: str, matched_by: str, *, replace: bool = False) -> None:
    """Keep a match (the first one stands unless `replace`, district IT's correction), and
    take the value off the unmatched list."""
    table, column, target = ((LtiLmsUser, LtiLmsUser.lms_user, "user_id") if kind == USER
                             else (LtiLmsContext, LtiLmsContext.lms_context, "class_id"))
    key = {"platform_id": platform_id, column.key: lms_value}
    with for_writes(engine).begin() as conn:
        where = (table.platform_id == platform_id, column == lms_value)
        if replace:
            conn.execute(delete(table).where(*where))
        if conn.execute(select(table.platform_id).where(*where)).first() is None:
            try:
                nested = conn.begin_nested()
                conn.execute(insert(table).values(**key, **{target: canonical_id},
                                                  matched_by=matched_by, created_at=_now()))
                nested.commit()
            except IntegrityError:
                nested.rollback()  # another node matched it first
        conn.execute(delete(LtiUnmatched).where(
            LtiUnmatched.platform_id == platform_id, LtiUnmatched.kind == kind,
            LtiUnmatched.lms_value == lms_value))


def note_unmatched(engine: Engine, platform_id: int, kind: str, lms_value: str,
                   hints: dict[str, Any], reason: str) -> None:
    """List the launch's user or context for district IT (repeats counted)."""
    now = _now()
    with for_writes(engine).begin() as conn:
        where = (LtiUnmatched.platform_id == platform_id, LtiUnmatched.kind == kind,
                 LtiUnmatched.lms_value == lms_value)
        moved = conn.execute(update(LtiUnmatched).where(*where).values(
            count=LtiUnmatched.count + 1, last_seen=now, hints=hints, reason=reason)).rowcount
        if not moved:
            conn.execute(insert(LtiUnmatched).values(
                platform_id=platform_id, kind=kind, lms_value=lms_value, hints=hints,
                reason=reason, count=1, first_seen=now, last_seen=now))


@dataclass(frozen=True)
class Unmatched:
    issuer: str
    client_id: str
    kind: str
    lms_value: str
    hints: dict[str, Any]
    reason: str
    count: int
    last_seen: datetime


def list_unmatched(engine: Engine) -> list[Unmatched]:
    query = select(LtiUnmatched, LtiPlatform.issuer, LtiPlatform.client_id).join(
        LtiPlatform, LtiPlatform.id == LtiUnmatched.platform_id).order_by(
        LtiUnmatched.last_seen.desc(), LtiUnmatched.id)
    with engine.connect() as conn:
        return [Unmatched(r.issuer, r.client_id, r.kind, r.lms_value, dict(r.hints or {}),
                          r.reason, r.count, _aware(r.last_seen))
                for r in conn.execute(query)]


def map_by_hand(engine: Engine, issuer: str, client_id: str | None, kind: str,
                lms_value: str, canonical_id: str) -> None:
    """District IT's answer to an unmatched launch (or a correction of a match)."""
    found = [p for p in platforms_of(engine, issuer)
             if client_id is None or p.client_id == client_id]
    if not found:
        raise LtiRegistryError(f"--issuer: no LMS registered as {issuer!r}"
                               + (f" with client id {client_id!r}" if client_id else ""))
    if len(found) > 1:
        raise LtiRegistryError(f"--client-id: {issuer!r} has several registrations; name one")
    if not lms_value or len(lms_value) > 255 or not canonical_id or len(canonical_id) > 255:
        raise LtiRegistryError("the LMS id and the sourcedId must be 1 to 255 characters")
    remember_match(engine, found[0].id, kind, lms_value, canonical_id, "district IT",
                   replace=True)
