"""The LTI broker's shared state in the store, so that every gateway node agrees: HMAC secrets
(made on first use), single-use values (id_token nonces, client-assertion jtis), launches
waiting for the tool's authentication request, and the contexts each tool has been launched
into. gateway.lti calls these; it never reads the store itself. Every write transaction here
takes SQLite's write lock when it begins (`for_writes`): a deferred transaction that reads and
then writes is refused outright when another writer (a sync, the disclosure mover) committed
in between."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.model import (
    LtiContext,
    LtiDeepLink,
    LtiLaunch,
    LtiLineItem,
    LtiLink,
    LtiScoreMark,
    LtiSecret,
    LtiUsedValue,
)
from gateway.store.engine import for_writes


class AlreadyUsed(Exception):
    """A single-use value (nonce, jti, launch) was presented a second time."""


RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"


@dataclass(frozen=True)
class PendingLaunch:
    id: str
    tool_id: int
    user_id: str
    class_id: str
    link: str
    target_link_uri: str
    message_type: str = RESOURCE_LINK
    relay: dict[str, Any] | None = None


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
            with for_writes(engine).begin() as conn:
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


def was_used(engine: Engine, scope: str, value: str) -> bool:
    """Whether `value` is recorded as used within `scope` (and not yet expired)."""
    with engine.connect() as conn:
        return conn.execute(select(LtiUsedValue.value).where(
            LtiUsedValue.scope == scope, LtiUsedValue.value == value,
            LtiUsedValue.expires_at >= _now())).first() is not None


def start_launch(engine: Engine, *, tool_id: int, user_id: str, class_id: str, link: str,
                 target_link_uri: str, lifetime: int, message_type: str = RESOURCE_LINK,
                 relay: dict[str, Any] | None = None) -> str:
    """A launch waiting for the tool's authentication request; returns its id."""
    launch_id = secrets.token_hex(16)
    now = _now()
    with for_writes(engine).begin() as conn:
        conn.execute(delete(LtiLaunch).where(LtiLaunch.expires_at < now - timedelta(hours=1)))
        conn.execute(insert(LtiLaunch).values(
            id=launch_id, tool_id=tool_id, user_id=user_id, class_id=class_id, link=link,
            target_link_uri=target_link_uri, expires_at=now + timedelta(seconds=lifetime),
            used_at=None, message_type=message_type, relay=relay))
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
    return _pending(row)


def _pending(row: Any) -> PendingLaunch:
    return PendingLaunch(id=row.id, tool_id=row.tool_id, user_id=row.user_id,
                         class_id=row.class_id, link=row.link,
                         target_link_uri=row.target_link_uri, message_type=row.message_type,
                         relay=row.relay)


def used_launch(engine: Engine, launch_id: str, tool_id: int) -> PendingLaunch | None:
    """A launch of this tool the tool has completed (a deep-linking request it answers)."""
    with engine.connect() as conn:
        row = conn.execute(select(LtiLaunch).where(
            LtiLaunch.id == launch_id, LtiLaunch.tool_id == tool_id,
            LtiLaunch.used_at.is_not(None))).first()
    return None if row is None else _pending(row)


def remember_context(engine: Engine, tool_id: int, context_id: str, class_id: str) -> None:
    """The tool's context id for a class (derived, so the same every time)."""
    with engine.connect() as conn:
        found = conn.execute(select(LtiContext.class_id).where(
            LtiContext.tool_id == tool_id, LtiContext.context_id == context_id)).first()
    if found is not None:
        return
    try:
        with for_writes(engine).begin() as conn:
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


def remember_link(engine: Engine, tool_id: int, link_id: str, context_id: str) -> None:
    with engine.connect() as conn:
        if conn.execute(select(LtiLink.link_id).where(
                LtiLink.tool_id == tool_id, LtiLink.link_id == link_id)).first():
            return
    try:
        with for_writes(engine).begin() as conn:
            conn.execute(insert(LtiLink).values(tool_id=tool_id, link_id=link_id,
                                                context_id=context_id))
    except IntegrityError:
        pass


def link_context(engine: Engine, tool_id: int, link_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(LtiLink.context_id).where(
            LtiLink.tool_id == tool_id, LtiLink.link_id == link_id)).scalar()


@dataclass(frozen=True)
class AgsLineItem:
    line_item_id: str
    context_id: str
    class_id: str
    resource_link_id: str | None
    resource_id: str | None
    tag: str | None


def _line_item(row: LtiLineItem) -> AgsLineItem:
    return AgsLineItem(row.line_item_id, row.context_id, row.class_id, row.resource_link_id,
                       row.resource_id, row.tag)


def add_line_item(engine: Engine, tool_id: int, item: AgsLineItem) -> None:
    with for_writes(engine).begin() as conn:
        conn.execute(insert(LtiLineItem).values(
            line_item_id=item.line_item_id, tool_id=tool_id, context_id=item.context_id,
            class_id=item.class_id, resource_link_id=item.resource_link_id,
            resource_id=item.resource_id, tag=item.tag, created_at=_now()))


def line_items(engine: Engine, tool_id: int, context_id: str, *,
               line_item_id: str | None = None, resource_link_id: str | None = None,
               resource_id: str | None = None, tag: str | None = None) -> list[AgsLineItem]:
    """This tool's line items in the context, in creation order, filtered as AGS asks."""
    query = select(LtiLineItem).where(LtiLineItem.tool_id == tool_id,
                                      LtiLineItem.context_id == context_id)
    for column, value in ((LtiLineItem.line_item_id, line_item_id),
                          (LtiLineItem.resource_link_id, resource_link_id),
                          (LtiLineItem.resource_id, resource_id), (LtiLineItem.tag, tag)):
        if value is not None:
            query = query.where(column == value)
    with Session(engine) as session:
        rows = session.execute(query.order_by(LtiLineItem.created_at,
                                              LtiLineItem.line_item_id)).scalars()
        return [_line_item(r) for r in rows]


def claim_score_time(engine: Engine, line_item_id: str, user_id: str,
                     timestamp: str) -> str | None:
    """Record `timestamp` (fixed-width UTC ISO text) as the latest score of the user on the
    line item; returns the previous one (None for the first), or raises AlreadyUsed with the
    recorded timestamp when the new one is not strictly later."""
    with for_writes(engine).begin() as conn:
        previous = conn.execute(select(LtiScoreMark.timestamp).where(
            LtiScoreMark.line_item_id == line_item_id,
            LtiScoreMark.user_id == user_id)).scalar()
        if previous is None:
            try:
                nested = conn.begin_nested()
                conn.execute(insert(LtiScoreMark).values(line_item_id=line_item_id,
                                                         user_id=user_id, timestamp=timestamp))
                nested.commit()
            except IntegrityError:
                nested.rollback()
                raise AlreadyUsed("a concurrent score") from None
            return None
        moved = conn.execute(update(LtiScoreMark).where(
            LtiScoreMark.line_item_id == line_item_id, LtiScoreMark.user_id == user_id,
            LtiScoreMark.timestamp < timestamp).values(timestamp=timestamp)).rowcount
        if not moved:
            raise AlreadyUsed(previous)
        return previous


def restore_score_time(engine: Engine, line_item_id: str, user_id: str, timestamp: str,
                       previous: str | None) -> None:
    """Undo `claim_score_time` when the score itself could not be stored."""
    where = (LtiScoreMark.line_item_id == line_item_id, LtiScoreMark.user_id == user_id,
             LtiScoreMark.timestamp == timestamp)
    with for_writes(engine).begin() as conn:
        if previous is None:
            conn.execute(delete(LtiScoreMark).where(*where))
        else:
            conn.execute(update(LtiScoreMark).where(*where).values(timestamp=previous))


def drop_line_item(engine: Engine, tool_id: int, line_item_id: str) -> None:
    with for_writes(engine).begin() as conn:
        conn.execute(delete(LtiLineItem).where(LtiLineItem.tool_id == tool_id,
                                               LtiLineItem.line_item_id == line_item_id))
        conn.execute(delete(LtiScoreMark).where(LtiScoreMark.line_item_id == line_item_id))


def has_scores(engine: Engine, line_item_id: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(LtiScoreMark.user_id).where(
            LtiScoreMark.line_item_id == line_item_id).limit(1)).first() is not None


@dataclass(frozen=True)
class DeepLink:
    name: str
    class_id: str
    title: str
    url: str
    custom: dict[str, str]
    line_item_id: str | None


def add_deep_links(engine: Engine, tool_id: int, links: list[DeepLink]) -> None:
    with for_writes(engine).begin() as conn:
        for link in links:
            conn.execute(insert(LtiDeepLink).values(
                tool_id=tool_id, name=link.name, class_id=link.class_id, title=link.title,
                url=link.url, custom=link.custom, line_item_id=link.line_item_id,
                created_at=_now()))


def deep_link(engine: Engine, tool_id: int, name: str) -> DeepLink | None:
    with engine.connect() as conn:
        row = conn.execute(select(LtiDeepLink).where(LtiDeepLink.tool_id == tool_id,
                                                     LtiDeepLink.name == name)).first()
    return None if row is None else DeepLink(row.name, row.class_id, row.title, row.url,
                                             dict(row.custom or {}), row.line_item_id)
