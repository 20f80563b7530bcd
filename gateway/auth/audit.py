"""The audit log: every change staff make, through the console or the CLI, with who and when.

Written in the same transaction as the change it describes, so the log never claims a change
that rolled back, and never misses one that committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from gateway.model import AuditEvent
from gateway.store.engine import for_writes

EVENTS = AuditEvent.__table__
CLI_ACTOR = "cli"


@dataclass(frozen=True)
class Change:
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    at: datetime | None = None


def record(conn: Connection, actor: str, action: str, target: str,
           **detail: Any) -> None:
    """Append one change inside the caller's transaction."""
    conn.execute(insert(EVENTS).values(at=datetime.now(UTC), actor=actor[:128],
                                       action=action[:64], target=str(target)[:255],
                                       detail={k: v for k, v in detail.items()
                                               if v is not None}))


def record_now(engine: Engine, actor: str, action: str, target: str, **detail: Any) -> None:
    with for_writes(engine).begin() as conn:
        record(conn, actor, action, target, **detail)


def recent(engine: Engine, limit: int = 200) -> list[Change]:
    with engine.connect() as conn:
        rows = conn.execute(select(EVENTS).order_by(EVENTS.c.id.desc()).limit(limit)).all()
    return [Change(r.actor, r.action, r.target, r.detail or {}, r.at) for r in rows]
