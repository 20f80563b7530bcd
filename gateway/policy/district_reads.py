"""What district staff read in the console: students found by name or id, the schools, and
the store's health. Staff are school officials, not apps: they see the district's own records,
through this module only (the console never touches the store), and nothing here is a
disclosure to a third party, so nothing is appended to the disclosure log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, and_, func, or_, select

from gateway.model import ROSTER_TABLES, SyncRun

USERS = ROSTER_TABLES["users"]
ROLES = ROSTER_TABLES["roles"]
ORGS = ROSTER_TABLES["orgs"]
HEALTH_FAMILIES = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments",
                   "demographics", "lineItems", "results")


@dataclass(frozen=True)
class Student:
    sourced_id: str
    given_name: str
    family_name: str
    schools: tuple[str, ...]
    status: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or self.sourced_id


def _data(text: str | None) -> dict[str, Any]:
    """A row's canonical fields (the store keeps them as one JSON text)."""
    return orjson.loads(text) if text else {}


def _students(conn: Any, where: Any, limit: int) -> list[Student]:
    is_student = select(ROLES.c.user_id).where(ROLES.c.role == "student",
                                               ROLES.c.status == "active")
    rows = conn.execute(select(USERS.c.sourced_id, USERS.c.data, USERS.c.status)
                        .where(where, USERS.c.sourced_id.in_(is_student))
                        .order_by(USERS.c.sourced_id).limit(limit)).all()
    ids = [r.sourced_id for r in rows]
    schools: dict[str, list[str]] = {}
    if ids:
        for user_id, name in conn.execute(
                select(ROLES.c.user_id, ORGS.c.data)
                .join(ORGS, ORGS.c.sourced_id == ROLES.c.org_id)
                .where(ROLES.c.user_id.in_(ids), ROLES.c.status == "active")):
            schools.setdefault(user_id, []).append(_data(name).get("name") or "")
    return [Student(r.sourced_id, _data(r.data).get("givenName") or "",
                    _data(r.data).get("familyName") or "",
                    tuple(sorted(set(schools.get(r.sourced_id, ())))), r.status) for r in rows]


def find_students(engine: Engine, text: str, limit: int = 50) -> list[Student]:
    """Students whose sourcedId is `text`, or whose record mentions every word of it (names,
    username), best effort across SQLite and PostgreSQL."""
    words = [w.casefold() for w in text.split() if w][:5]
    if not words:
        return []
    blob = func.lower(USERS.c.data)
    matches = and_(*[or_(blob.like(f"%{w}%"), func.lower(USERS.c.sourced_id).like(f"%{w}%"))
                     for w in words])
    with engine.connect() as conn:
        found = _students(conn, or_(USERS.c.sourced_id == text.strip(), matches), limit)
    # a word may match elsewhere in the record: the names themselves decide
    return [s for s in found if s.sourced_id == text.strip()
            or all(w in f"{s.name} {s.sourced_id}".casefold() for w in words)]


def student(engine: Engine, sourced_id: str) -> Student | None:
    with engine.connect() as conn:
        found = _students(conn, USERS.c.sourced_id == sourced_id, 1)
    return found[0] if found else None


def students_named(engine: Engine, ids: list[str]) -> dict[str, Student]:
    if not ids:
        return {}
    with engine.connect() as conn:
        return {s.sourced_id: s for s in _students(conn, USERS.c.sourced_id.in_(ids),
                                                   len(ids))}


def schools(engine: Engine) -> list[tuple[str, str]]:
    """(sourcedId, name) of every active school."""
    with engine.connect() as conn:
        return [(r.sourced_id, _data(r.data).get("name") or r.sourced_id) for r in conn.execute(
            select(ORGS.c.sourced_id, ORGS.c.data)
            .where(ORGS.c.type == "school", ORGS.c.status == "active")
            .order_by(ORGS.c.sourced_id))]


def store_health(engine: Engine) -> dict[str, Any]:
    """Active and tombstoned rows per family, the change version, and whether a run is
    under way."""
    counts: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for family in HEALTH_FAMILIES:
            table = ROSTER_TABLES[family]
            for status, n in conn.execute(select(table.c.status, func.count())
                                          .group_by(table.c.status)):
                counts.setdefault(family, {})[status] = n
        version = conn.execute(select(func.max(USERS.c.change_version))).scalar()
        running = conn.execute(select(func.count()).select_from(SyncRun)
                               .where(SyncRun.state == "running")).scalar_one()
    return {"counts": counts, "change_version": version, "running": running}
