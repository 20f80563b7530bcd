"""Parents' opt-outs: a student removed from every app, or from one app."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, and_, delete, insert, select

from gateway.model import App, OptOut
from gateway.store.marks import POLICY_VERSION, bump_mark

OPTOUTS = OptOut.__table__
APPS = App.__table__


def bump_policy_version(conn: Connection) -> None:
    """Every reader's cached view (opted-out sets, totals) is stale from this commit on."""
    bump_mark(conn, POLICY_VERSION)


class OptOutError(ValueError):
    pass


def _app_id(conn, client_id: str | None) -> int | None:  # noqa: ANN001
    if client_id is None:
        return None
    found = conn.execute(select(APPS.c.id).where(APPS.c.client_id == client_id)).scalar()
    if found is None:
        raise OptOutError(f"no app with client id {client_id!r}")
    return found


def add_optout(engine: Engine, student_id: str, client_id: str | None = None,
               note: str | None = None) -> bool:
    """Record an opt-out; False when it was already there."""
    with engine.begin() as conn:
        app_id = _app_id(conn, client_id)
        exists = conn.execute(select(OPTOUTS.c.id).where(
            OPTOUTS.c.student_id == student_id,
            OPTOUTS.c.app_id.is_(None) if app_id is None else OPTOUTS.c.app_id == app_id,
        )).first()
        if exists:
            return False
        conn.execute(insert(OPTOUTS).values(student_id=student_id, app_id=app_id,
                                            created_at=datetime.now(UTC), note=note))
        bump_policy_version(conn)
        return True


def remove_optout(engine: Engine, student_id: str, client_id: str | None = None) -> bool:
    with engine.begin() as conn:
        app_id = _app_id(conn, client_id)
        result = conn.execute(delete(OPTOUTS).where(and_(
            OPTOUTS.c.student_id == student_id,
            OPTOUTS.c.app_id.is_(None) if app_id is None else OPTOUTS.c.app_id == app_id,
        )))
        if result.rowcount:
            bump_policy_version(conn)
        return result.rowcount > 0


def list_optouts(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(OPTOUTS.c.student_id, APPS.c.client_id, APPS.c.name, OPTOUTS.c.created_at,
                   OPTOUTS.c.note)
            .join(APPS, APPS.c.id == OPTOUTS.c.app_id, isouter=True)
            .order_by(OPTOUTS.c.student_id)
        ).all()
    return [r._asdict() for r in rows]
