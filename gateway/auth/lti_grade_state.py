"""What the relay keeps to pass grades on to an LMS: the AGS endpoints each LMS gave for a tool
in a class, the LMS line item each gateway line item maps to, the scores waiting to be
delivered (retried with backoff), and the latest timestamp delivered per (LMS line item, LMS
user). gateway.lti calls these; it never reads the store itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.model import (
    LtiForwardedItem,
    LtiForwardMark,
    LtiGradeRoute,
    LtiLmsUser,
    LtiScoreForward,
)
from gateway.store.engine import for_writes


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class GradeRoute:
    platform_id: int
    lineitems_url: str | None
    lineitem_url: str | None
    scopes: tuple[str, ...]


def record_route(engine: Engine, tool_id: int, class_id: str, platform_id: int,
                 lineitems_url: str | None, lineitem_url: str | None,
                 scopes: list[str]) -> None:
    """The LMS's AGS endpoints for this tool's class, as its latest launch named them."""
    values = dict(lineitems_url=lineitems_url, lineitem_url=lineitem_url, scopes=scopes,
                  updated_at=_now())
    where = (LtiGradeRoute.tool_id == tool_id, LtiGradeRoute.class_id == class_id,
             LtiGradeRoute.platform_id == platform_id)
    with for_writes(engine).begin() as conn:
        if not conn.execute(update(LtiGradeRoute).where(*where).values(**values)).rowcount:
            try:
                nested = conn.begin_nested()
                conn.execute(insert(LtiGradeRoute).values(
                    tool_id=tool_id, class_id=class_id, platform_id=platform_id, **values))
                nested.commit()
            except IntegrityError:
                nested.rollback()


def routes_for(engine: Engine, tool_id: int, class_id: str) -> list[GradeRoute]:
    with engine.connect() as conn:
        return [GradeRoute(r.platform_id, r.lineitems_url, r.lineitem_url, tuple(r.scopes))
                for r in conn.execute(select(LtiGradeRoute).where(
                    LtiGradeRoute.tool_id == tool_id, LtiGradeRoute.class_id == class_id))]


def lms_user_of(engine: Engine, platform_id: int, user_id: str) -> str | None:
    """The LMS's id of a district user (the latest matched, if several)."""
    with engine.connect() as conn:
        return conn.execute(select(LtiLmsUser.lms_user).where(
            LtiLmsUser.platform_id == platform_id, LtiLmsUser.user_id == user_id)
            .order_by(LtiLmsUser.created_at.desc()).limit(1)).scalar()


@dataclass(frozen=True)
class ScoreForward:
    id: int
    platform_id: int
    tool_id: int
    class_id: str
    line_item_id: str
    lms_user: str
    timestamp: str
    score: dict[str, Any]
    attempts: int


def enqueue_forward(engine: Engine, *, platform_id: int, tool_id: int, class_id: str,
                    line_item_id: str, lms_user: str, timestamp: str,
                    score: dict[str, Any]) -> int:
    with for_writes(engine).begin() as conn:
        return conn.execute(insert(LtiScoreForward).values(
            platform_id=platform_id, tool_id=tool_id, class_id=class_id,
            line_item_id=line_item_id, lms_user=lms_user, timestamp=timestamp, score=score,
            attempts=0, next_attempt_at=_now(), done_at=None, outcome=None,
        ).returning(LtiScoreForward.id)).scalar_one()


def _forward(row: Any) -> ScoreForward:
    return ScoreForward(row.id, row.platform_id, row.tool_id, row.class_id, row.line_item_id,
                        row.lms_user, row.timestamp, dict(row.score), row.attempts)


def due_forwards(engine: Engine, limit: int = 100,
                 ids: list[int] | None = None) -> list[ScoreForward]:
    """Undelivered forwards whose next attempt is due, oldest first."""
    query = select(LtiScoreForward).where(LtiScoreForward.done_at.is_(None),
                                          LtiScoreForward.next_attempt_at <= _now())
    if ids is not None:
        query = query.where(LtiScoreForward.id.in_(ids))
    with engine.connect() as conn:
        return [_forward(r) for r in conn.execute(query.order_by(LtiScoreForward.id)
                                                  .limit(limit))]


def finish_forward(engine: Engine, forward_id: int, attempts: int, outcome: str) -> None:
    with for_writes(engine).begin() as conn:
        conn.execute(update(LtiScoreForward).where(LtiScoreForward.id == forward_id).values(
            attempts=attempts, done_at=_now(), outcome=outcome))


def retry_forward(engine: Engine, forward_id: int, attempts: int, at: datetime,
                  outcome: str) -> None:
    with for_writes(engine).begin() as conn:
        conn.execute(update(LtiScoreForward).where(LtiScoreForward.id == forward_id).values(
            attempts=attempts, next_attempt_at=at, outcome=outcome))


@dataclass(frozen=True)
class ForwardStatus:
    id: int
    line_item_id: str
    lms_user: str
    attempts: int
    done: bool
    outcome: str | None


def forward_statuses(engine: Engine) -> list[ForwardStatus]:
    with engine.connect() as conn:
        return [ForwardStatus(r.id, r.line_item_id, r.lms_user, r.attempts,
                              r.done_at is not None, r.outcome)
                for r in conn.execute(select(LtiScoreForward).order_by(LtiScoreForward.id))]


def forwarded_item(engine: Engine, line_item_id: str, platform_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(LtiForwardedItem.lms_line_item).where(
            LtiForwardedItem.line_item_id == line_item_id,
            LtiForwardedItem.platform_id == platform_id)).scalar()


def remember_forwarded_item(engine: Engine, line_item_id: str, platform_id: int,
                            lms_line_item: str) -> None:
    try:
        with for_writes(engine).begin() as conn:
            conn.execute(insert(LtiForwardedItem).values(
                line_item_id=line_item_id, platform_id=platform_id,
                lms_line_item=lms_line_item))
    except IntegrityError:
        pass


def delivered_mark(engine: Engine, lms_line_item: str, lms_user: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(LtiForwardMark.timestamp).where(
            LtiForwardMark.lms_line_item == lms_line_item,
            LtiForwardMark.lms_user == lms_user)).scalar()


def advance_mark(engine: Engine, lms_line_item: str, lms_user: str, timestamp: str) -> None:
    """Raise the high-water mark to `timestamp` (never lower it)."""
    where = (LtiForwardMark.lms_line_item == lms_line_item, LtiForwardMark.lms_user == lms_user)
    with for_writes(engine).begin() as conn:
        if conn.execute(select(LtiForwardMark.timestamp).where(*where)).first() is None:
            try:
                nested = conn.begin_nested()
                conn.execute(insert(LtiForwardMark).values(
                    lms_line_item=lms_line_item, lms_user=lms_user, timestamp=timestamp))
                nested.commit()
                return
            except IntegrityError:
                nested.rollback()
        conn.execute(update(LtiForwardMark).where(
            *where, LtiForwardMark.timestamp < timestamp).values(timestamp=timestamp))
