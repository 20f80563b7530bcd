"""Parents' opt-outs: a student removed from every app, or from one app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select

from gateway.auth.audit import CLI_ACTOR, record
from gateway.model import ROSTER_TABLES, App, OptOut
from gateway.store.engine import for_writes
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
               note: str | None = None, *, actor: str = CLI_ACTOR) -> bool:
    """Record an opt-out; False when it was already there."""
    with for_writes(engine).begin() as conn:
        return add_optout_in(conn, student_id, client_id, note, actor=actor)


def add_optout_in(conn: Connection, student_id: str, client_id: str | None = None,
                  note: str | None = None, *, actor: str = CLI_ACTOR) -> bool:
    """`add_optout` inside the caller's transaction (a bulk import applies all or nothing)."""
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
    record(conn, actor, "optout.add", student_id, app=client_id or "every app", note=note)
    return True


def remove_optout(engine: Engine, student_id: str, client_id: str | None = None, *,
                  actor: str = CLI_ACTOR) -> bool:
    with for_writes(engine).begin() as conn:
        app_id = _app_id(conn, client_id)
        result = conn.execute(delete(OPTOUTS).where(and_(
            OPTOUTS.c.student_id == student_id,
            OPTOUTS.c.app_id.is_(None) if app_id is None else OPTOUTS.c.app_id == app_id,
        )))
        if result.rowcount:
            bump_policy_version(conn)
            record(conn, actor, "optout.remove", student_id, app=client_id or "every app")
        return result.rowcount > 0


def list_optouts(engine: Engine, student_id: str | None = None) -> list[dict]:
    query = (select(OPTOUTS.c.student_id, APPS.c.client_id, APPS.c.name, OPTOUTS.c.created_at,
                    OPTOUTS.c.note)
             .join(APPS, APPS.c.id == OPTOUTS.c.app_id, isouter=True)
             .order_by(OPTOUTS.c.student_id))
    if student_id is not None:
        query = query.where(OPTOUTS.c.student_id == student_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [r._asdict() for r in rows]


@dataclass(frozen=True)
class ImportRow:
    line: int
    student_id: str
    client_id: str | None
    note: str | None
    problem: str | None = None
    already: bool = False


CSV_COLUMNS = ("student_id", "app", "note")


def read_optout_csv(engine: Engine, text: str) -> list[ImportRow]:
    """Parse a bulk opt-out file (header `student_id,app,note`; `app` empty: every app) and
    say what each row would do: a problem (unknown student or app, bad row), already there,
    or a new opt-out. Nothing is written: the console shows this as the preview."""
    import csv
    import io

    from gateway.model import ROSTER_TABLES

    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in next(reader, [])]
    if header[:1] != ["student_id"] or set(header) - set(CSV_COLUMNS):
        return [ImportRow(1, "", None, None, "the header must be student_id[,app][,note]")]
    users = ROSTER_TABLES["users"]
    rows: list[ImportRow] = []
    with engine.connect() as conn:
        apps = dict(conn.execute(select(APPS.c.client_id, APPS.c.id)).all())
        existing = {(r.student_id, r.app_id) for r in conn.execute(
            select(OPTOUTS.c.student_id, OPTOUTS.c.app_id))}
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                rows.append(ImportRow(number, "", None, None,
                                      f"{len(values)} values for {len(header)} columns"))
                continue
            cells = dict(zip(header, (v.strip() for v in values), strict=False))
            student_id, app = cells.get("student_id", ""), cells.get("app") or None
            note = cells.get("note") or None
            problem = None
            if not student_id:
                problem = "student_id is empty"
            elif conn.execute(select(users.c.sourced_id)
                              .where(users.c.sourced_id == student_id)).first() is None:
                problem = f"no student {student_id!r} in the store"
            elif app is not None and app not in apps:
                problem = f"no app with client id {app!r}"
            already = problem is None and (student_id, apps.get(app) if app else None) in existing
            rows.append(ImportRow(number, student_id, app, note, problem, already))
    return rows


def apply_optout_csv(engine: Engine, text: str, *, actor: str = CLI_ACTOR) -> int:
    """Apply a bulk file all or nothing: refused (OptOutError naming each bad line) when any
    row has a problem. The count of opt-outs added."""
    rows = read_optout_csv(engine, text)
    bad = [r for r in rows if r.problem]
    if bad:
        raise OptOutError("; ".join(f"line {r.line}: {r.problem}" for r in bad[:20]))
    added = 0
    with for_writes(engine).begin() as conn:
        for row in rows:
            added += add_optout_in(conn, row.student_id, row.client_id, row.note, actor=actor)
    return added


def optout_mark(engine: Engine) -> int:
    """The newest opt-out's id: a high-water mark an NRPS differences link carries, so the
    next call can tell which students opted out after it."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(OPTOUTS.c.id))).scalar() or 0)


def opted_out_of_class_since(engine: Engine, app_id: int, class_id: str,
                             after: int) -> list[tuple[str, str]]:
    """(student, enrollment role) of the class's students whose opt-out from this app (or
    from every app) came after the mark `after`: the ones an NRPS differences answer must
    report as Deleted, since the read engine no longer shows them at all. Only their ids
    leave this function; nothing else of theirs is read for the app."""
    enrollments = ROSTER_TABLES["enrollments"]
    query = (select(enrollments.c.user_id, enrollments.c.role).distinct()
             .join(OPTOUTS, OPTOUTS.c.student_id == enrollments.c.user_id)
             .where(OPTOUTS.c.id > after, enrollments.c.class_id == class_id,
                    or_(OPTOUTS.c.app_id.is_(None), OPTOUTS.c.app_id == app_id))
             .order_by(enrollments.c.user_id))
    with engine.connect() as conn:
        return [(r.user_id, r.role) for r in conn.execute(query)]
