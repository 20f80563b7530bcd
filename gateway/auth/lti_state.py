"""The LTI broker's shared state in the store, so that every gateway node agrees: HMAC secrets
(made on first use), single-use values (id_token nonces, client-assertion jtis), launches
waiting for the tool's authentication request, and the contexts each tool has been launched
into. gateway.lti calls these; it never reads the store itself."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.model import LtiContext, LtiLaunch, LtiSecret, LtiUsedValue


class AlreadyUsed(Exception):
    """A single-use value (nonce, jti, launch) was presented a second time."""


@dataclass(frozen=True)
class PendingLaunch:
    id: str
    tool_id: int
    user_id: str
    class_id: str
    link: str
    target_link_uri: str


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def secret(engine: Engine, name: str) -> bytes:
    """The named secret, created at first use; two nodes racing agree on the first stored."""
    query = select(LtiSecret.value).where(LtiSecret.name == name)
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    if found is None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(LtiSecret).values(name=name, value=secrets.token_hex(32),
                                                      created_at=_now()))
        except IntegrityError:
            pass
        with engine.connect() as conn:
            found = conn.execute(query).scalar_one()
    return bytes.fromhex(found)


def use_once(conn: Connection, scope: str, value: str, expires_at: datetime) -> None:
    """Record `value` as used within `scope`, or AlreadyUsed if it was. Runs in the caller's
    transaction (a refusal later in that transaction forgets the use too). Expired entries of
    the scope are cleared as it goes."""
    now = _now()
    conn.execute(delete(LtiUsedValue).where(LtiUsedValue.scope == scope,
                                            LtiUsedValue.expires_at < now))
    nested = conn.begin_nested()
    try:
        conn.execute(insert(LtiUsedValue).values(scope=scope, value=value,
                                                 expires_at=expires_at))
        nested.commit()
    except IntegrityError:
        nested.rollback()
        raise AlreadyUsed(value) from None


def start_launch(engine: Engine, *, tool_id: int, user_id: str, class_id: str, link: str,
                 target_link_uri: str, lifetime: int) -> str:
    """A launch waiting for the tool's authentication request; returns its id."""
    launch_id = secrets.token_hex(16)
    now = _now()
    with engine.begin() as conn:
        conn.execute(delete(LtiLaunch).where(LtiLaunch.expires_at < now - timedelta(hours=1)))
        conn.execute(insert(LtiLaunch).values(
            id=launch_id, tool_id=tool_id, user_id=user_id, class_id=class_id, link=link,
            target_link_uri=target_link_uri, expires_at=now + timedelta(seconds=lifetime),
            used_at=None))
    return launch_id


class LaunchRefused(Exception):
    """The launch named by the hints cannot proceed; the message says why."""


def take_launch(conn: Connection, launch_id: str, tool_id: int) -> PendingLaunch:
    """The pending launch, marked used (in the caller's transaction): a second authentication
    request with the same hints is a replay."""
    row = conn.execute(select(LtiLaunch).where(LtiLaunch.id == launch_id)).first()
    if row is None or row.tool_id != tool_id:
        raise LaunchRefused("the login_hint names no launch of this tool")
    now = _now()
    if _aware(row.expires_at) <= now:
        raise LaunchRefused("the launch has expired; start it again")
    taken = conn.execute(update(LtiLaunch).where(
        LtiLaunch.id == launch_id, LtiLaunch.used_at.is_(None)).values(used_at=now)).rowcount
    if not taken:
        raise AlreadyUsed("launch")
    return PendingLaunch(id=row.id, tool_id=row.tool_id, user_id=row.user_id,
                         class_id=row.class_id, link=row.link,
                         target_link_uri=row.target_link_uri)


def remember_context(engine: Engine, tool_id: int, context_id: str, class_id: str) -> None:
    """The tool's context id for a class (derived, so the same every time)."""
    with engine.connect() as conn:
        found = conn.execute(select(LtiContext.class_id).where(
            LtiContext.tool_id == tool_id, LtiContext.context_id == context_id)).first()
    if found is not None:
        return
    try:
        with engine.begin() as conn:
            conn.execute(insert(LtiContext).values(tool_id=tool_id, context_id=context_id,
                                                   class_id=class_id, created_at=_now()))
    except IntegrityError:
        pass  # another node remembered it first


def context_class(conn: Connection | Engine, tool_id: int, context_id: str) -> str | None:
    """The class behind one of this tool's context ids, or None."""
    query = select(LtiContext.class_id).where(LtiContext.tool_id == tool_id,
                                              LtiContext.context_id == context_id)
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return c.execute(query).scalar()
    return conn.execute(query).scalar()
