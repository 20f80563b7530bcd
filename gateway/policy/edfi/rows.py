"""The rows Ed-Fi reads and writes look up besides their pages: a visible row behind an Ed-Fi
id, a row by its natural key (writes upsert by key), the stored row a write merges with, its
change version (the ETag a write answers), and the key-change log a PUT appends to.

Writes look rows up whoever owns them (a write's bookkeeping), but what they may *name* is
decided by gateway.policy.write_access; reads see only what `ReadSession` lets them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row, or_, select

from adapters.edfi_mapping.resources import RESOURCES
from adapters.edfi_mapping.to_canonical import canonical_sourced_id
from gateway.model import EDFI_KEY_CHANGES, ROSTER_TABLES
from gateway.policy.edfi.examples import ExampleError, PersonOf, example_condition
from gateway.policy.edfi.lookups import Lookups
from gateway.policy.edfi.subsets import subset
from gateway.policy.reads import ReadSession
from gateway.store.json_fields import json_text

ROW_COLUMNS = ("sourced_id", "status", "date_last_modified", "change_version", "data")
CLASS_VIEWS = {"courseOfferings": "localCourseCode", "sections": "sectionIdentifier"}


def _columns(family: str) -> list[Any]:
    table = ROSTER_TABLES[family]
    return [table.c[c] for c in ROW_COLUMNS]


def visible_row(session: ReadSession, resource: str, sourced_id: str, *,
                active: bool = True) -> Row[Any] | None:
    """The row of `resource` with this sourcedId, if the session's app may see it."""
    family = RESOURCES[resource].family
    table = ROSTER_TABLES[family]
    where = [table.c.sourced_id == sourced_id, session.visible(family), subset(resource)]
    if active:
        where.append(table.c.status == "active")
    return session.conn.execute(select(*_columns(family)).where(*where)).first()


def row_of(conn: Connection, family: str, sourced_id: str) -> Row[Any] | None:
    """The row (as rendering reads it), whatever its status or owner: a write's own
    bookkeeping (the key it now shows, for the key-change log)."""
    table = ROSTER_TABLES[family]
    return conn.execute(select(*_columns(family))
                        .where(table.c.sourced_id == sourced_id)).first()


def active_row(conn: Connection, family: str, sourced_id: str | None) -> Row[Any] | None:
    """The stored row (sourced_id, source, data) when it is active."""
    if sourced_id is None:
        return None
    table = ROSTER_TABLES[family]
    return conn.execute(select(table.c.sourced_id, table.c.source, table.c.data).where(
        table.c.sourced_id == sourced_id, table.c.status == "active")).first()


def source_of(conn: Connection, family: str, sourced_id: str) -> str | None:
    table = ROSTER_TABLES[family]
    return conn.execute(select(table.c.source)
                        .where(table.c.sourced_id == sourced_id)).scalar()


def change_version_of(conn: Connection, family: str, sourced_id: str) -> int | None:
    table = ROSTER_TABLES[family]
    return conn.execute(select(table.c.change_version)
                        .where(table.c.sourced_id == sourced_id)).scalar()


def find_by_key(conn: Connection, look: Lookups, resource: str, key: dict[str, Any],
                may_name: Callable[[str, str], bool] | None = None,
                person_of: PersonOf = None) -> str | None:
    """The row of `resource` with this natural key, whichever source it came from; with
    `may_name`, only among the rows the writing app may name (what it may not see is found
    exactly as what does not exist). Course offerings and sections: see `class_candidates`."""
    family = RESOURCES[resource].family
    table = ROSTER_TABLES[family]
    own = canonical_sourced_id(resource, key)
    if conn.execute(select(table.c.sourced_id).where(table.c.sourced_id == own)).first() \
            and (may_name is None or may_name(family, own)):
        return own
    try:
        where = [example_condition(resource, k, str(v), look, person_of)
                 for k, v in key.items()]
    except ExampleError:
        return None
    found = conn.execute(select(table.c.sourced_id).where(
        *where, subset(resource, any_status=True)).order_by(
        table.c.status, table.c.sourced_id)).scalars()  # 'active' sorts before 'tobedeleted'
    return next((s for s in found if may_name is None or may_name(family, s)), None)


def class_candidates(conn: Connection, look: Lookups, resource: str,
                     key: dict[str, Any]) -> list[Row[Any]]:
    """The classes at the key's school whose code could show this course offering or section
    key (its own code, its classCode or its sourcedId); the caller renders and compares."""
    classes = ROSTER_TABLES["classes"]
    try:
        schools = look.orgs_with_id(int(key["schoolId"]))
    except (KeyError, TypeError, ValueError):
        return []
    code = str(key.get(CLASS_VIEWS[resource]))
    return list(conn.execute(select(*_columns("classes")).where(
        classes.c.school_id.in_(schools),
        or_(json_text(classes.c.data, CLASS_VIEWS[resource]) == code,
            json_text(classes.c.data, "classCode") == code, classes.c.sourced_id == code),
    ).order_by(classes.c.status, classes.c.sourced_id)).all())


def student_schools(conn: Connection, student: str) -> list[str]:
    """The schools of a student's active student roles, in the roles' sourcedId order."""
    roles = ROSTER_TABLES["roles"]
    return list(conn.execute(select(roles.c.org_id).where(
        roles.c.user_id == student, roles.c.role == "student", roles.c.status == "active",
    ).order_by(roles.c.sourced_id)).scalars())


def log_key_change(conn: Connection, resource: str, sourced_id: str, change_version: int,
                   old: dict[str, Any], new: dict[str, Any]) -> None:
    """Inside the write's own transaction (the sync engine's on_apply)."""
    conn.execute(EDFI_KEY_CHANGES.insert().values(
        resource=resource, sourced_id=sourced_id, change_version=change_version,
        old_key=json.dumps(old), new_key=json.dumps(new)))
