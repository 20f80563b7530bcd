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

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Table,
    and_,
    case,
    cast,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.sql import Subquery
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


def _firsts(*where: ColumnElement[bool]) -> Subquery:
    """Per offering key (school, code, session) of the active classes matching `where`, the
    one that stands for it: the lowest of rank then sourcedId. The keys are computed once per
    row in an inner query, so both dialects group by plain columns."""
    keyed = select(CLASSES.c.school_id, offering_code(CLASSES).label("code"),
                   offering_session(CLASSES).label("session"),
                   (cast(_rank(CLASSES), String) + CLASSES.c.sourced_id).label("ranked")
                   ).where(CLASSES.c.status == "active", *where).subquery("edfi_offering_keys")
    return (select(keyed.c.school_id, keyed.c.code, keyed.c.session,
                   func.substr(func.min(keyed.c.ranked), 2).label("first"))
            .group_by(keyed.c.school_id, keyed.c.code, keyed.c.session)
            .subquery("edfi_offering_firsts"))


def representative(classes: Table = CLASSES) -> ColumnElement[bool]:
    """The class stands for its course offering: among the active classes with its offering
    key, it comes first (classes an offering was written for first, then by sourcedId). A
    tombstoned class stands for its offering's deletion when no active one does before it."""
    other = CLASSES.alias("edfi_offering_peers")
    before = or_(_rank(other) < _rank(classes),
                 and_(_rank(other) == _rank(classes), other.c.sourced_id < classes.c.sourced_id))
    return or_(and_(classes.c.status == "active",
                    classes.c.sourced_id.in_(select(_firsts().c.first))),
               and_(classes.c.status != "active", ~exists().where(_peers(classes, other),
                                                                  before)))


def representatives(conn: Connection, class_ids: Iterable[str]) -> dict[str, str]:
    """For each class, the class that stands for its offering (itself when it does, or when
    no active class does): what a section's courseOfferingReference links to. One grouped
    query per page, over the classes of the page's schools that share a page class's code."""
    wanted = sorted({c for c in class_ids if c})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        page = CLASSES.alias("edfi_page")
        mine = page.c.sourced_id.in_(wanted[start:start + 500])
        firsts = _firsts(CLASSES.c.school_id.in_(select(page.c.school_id).where(mine)),
                         offering_code(CLASSES).in_(select(offering_code(page)).where(mine)))
        rows = conn.execute(
            select(page.c.sourced_id, firsts.c.first).select_from(page.outerjoin(firsts, and_(
                firsts.c.school_id == page.c.school_id, firsts.c.code == offering_code(page),
                firsts.c.session == offering_session(page))))
            .where(mine))
        found |= {r[0]: r[1] or r[0] for r in rows}
    return found
