"""Course offerings are one per natural key, although the canonical model has no offering row.

A course offering (localCourseCode, school, session) is a view of the canonical `classes`, and
several classes (the sections of one offering, from an Ed-Fi source; or classes sharing a class
code in a term) can show the same key. Of those, one active class stands for the offering: one
an offering was written for (it holds the offering's own localCourseTitle), else the first by
sourcedId. Its id is the offering's id, and only it is served as a courseOffering; the others
are sections only. When that class goes, the next one stands for the offering under its own id
(/deletes lists the old id). The rule
is a predicate on the classes table, so the policy's predicates, paging and Total-Count apply to
it unchanged, and a pure function of the stored rows. The key parts are compared as the
serializer derives them: the code is the class's Ed-Fi localCourseCode, else its classCode,
else its sourcedId; the session is the class's first term, or that term's parent when the first
term is a grading period (adapters/edfi_mapping/derived_keys.py, Lookups.offering_session).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, Table, and_, case, exists, func, or_, select
from sqlalchemy.sql.elements import literal

from gateway.model import LINK_TABLES, ROSTER_TABLES
from gateway.store.json_fields import json_text

CLASSES = ROSTER_TABLES["classes"]
SESSIONS = ROSTER_TABLES["academicSessions"]
TERMS = LINK_TABLES["classes"]["terms"]


def offering_code(classes: Table) -> ColumnElement[str]:
    def given(field: str) -> ColumnElement[str]:
        return func.nullif(json_text(classes.c.data, field), literal(""))
    return func.coalesce(given("localCourseCode"), given("classCode"), classes.c.sourced_id)


def offering_session(classes: Table) -> ColumnElement[str]:
    term = TERMS.alias()
    session = SESSIONS.alias()
    is_period = and_(session.c.type == "gradingPeriod", session.c.parent_id.is_not(None))
    return (select(case((is_period, session.c.parent_id), else_=term.c.target_id))
            .select_from(term.outerjoin(session, session.c.sourced_id == term.c.target_id))
            .where(term.c.owner_id == classes.c.sourced_id, term.c.position == 0)
            .correlate_except(term, session).scalar_subquery())


def _peers(classes: Table, other: Table) -> ColumnElement[bool]:
    """`other` shows the same course offering as `classes` and is active."""
    return and_(other.c.school_id == classes.c.school_id, other.c.status == "active",
                offering_code(other) == offering_code(classes),
                offering_session(other) == offering_session(classes))


def _rank(classes: Table) -> ColumnElement[int]:
    """0 for a class an offering was written for (it holds the offering's own title)."""
    return case((json_text(classes.c.data, "localCourseTitle").is_not(None), 0), else_=1)


def representative(classes: Table = CLASSES) -> ColumnElement[bool]:
    """The class stands for its course offering: no active class with the same offering key
    comes before it (classes an offering was written for first, then by sourcedId)."""
    other = CLASSES.alias("edfi_offering_peers")
    before = or_(_rank(other) < _rank(classes),
                 and_(_rank(other) == _rank(classes), other.c.sourced_id < classes.c.sourced_id))
    return ~exists().where(_peers(classes, other), before)


def representatives(conn: Connection, class_ids: Iterable[str]) -> dict[str, str]:
    """For each class, the class that stands for its offering (itself, when it does): what a
    section's courseOfferingReference links to. One query per page."""
    wanted = sorted({c for c in class_ids if c})
    if not wanted:
        return {}
    other = CLASSES.alias("edfi_offering_first")
    first = (select(other.c.sourced_id).where(_peers(CLASSES, other))
             .order_by(_rank(other), other.c.sourced_id).limit(1).scalar_subquery())
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        rows = conn.execute(select(CLASSES.c.sourced_id, first)
                            .where(CLASSES.c.sourced_id.in_(wanted[start:start + 500])))
        found |= {r[0]: r[1] or r[0] for r in rows}
    return found
