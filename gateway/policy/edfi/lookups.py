"""The rows a page of Ed-Fi objects needs besides its own: referenced orgs, sessions, users,
classes and demographics, fetched once per page (orgs and sessions once per request), never once
per object. Key lookups ignore status on purpose: a tombstone's natural key (for /deletes) still
names the rows it pointed at."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from adapters.edfi_mapping import derived_keys
from gateway.model import LINK_TABLES, ROSTER_TABLES
from gateway.policy.edfi.offerings import representatives


class Lookups:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._orgs: dict[str, dict[str, Any]] | None = None
        self._sessions: dict[str, dict[str, Any]] | None = None
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}
        self._first_school_of_term: dict[str, str] = {}
        self._offerings: dict[str, str] = {}
        self._class_ids: dict[str, bool] = {}
        self._year_starts: dict[str | None, str] = {}
        self._edorg_ids: dict[str, int] = {}

    # -- whole small families ----------------------------------------------------------------
    def _all(self, family: str) -> dict[str, dict[str, Any]]:
        table = ROSTER_TABLES[family]
        return {r.sourced_id: orjson.loads(r.data)
                for r in self.conn.execute(select(table.c.sourced_id, table.c.data))}

    @property
    def orgs(self) -> dict[str, dict[str, Any]]:
        if self._orgs is None:
            self._orgs = self._all("orgs")
        return self._orgs

    @property
    def sessions(self) -> dict[str, dict[str, Any]]:
        if self._sessions is None:
            self._sessions = self._all("academicSessions")
        return self._sessions

    def edorg_id(self, sourced_id: str) -> int:
        found = self._edorg_ids.get(sourced_id)
        if found is None:
            found = self._edorg_ids[sourced_id] = derived_keys.education_organization_id(
                sourced_id, self.orgs.get(sourced_id, {}))
        return found

    def orgs_with_id(self, number: int) -> list[str]:
        return [sid for sid, data in self.orgs.items()
                if derived_keys.education_organization_id(sid, data) == number]

    def year_start(self, school_year: str | None = None) -> str:
        """Start of the earliest school-year session (of `school_year` when given): the entry
        date of associations whose role or enrollment has no beginDate."""
        found = self._year_starts.get(school_year)
        if found is None:
            starts = sorted(s["startDate"] for s in self.sessions.values()
                            if s.get("type") == "schoolYear"
                            and (school_year is None or s.get("schoolYear") == school_year))
            if not starts:
                starts = sorted(s["startDate"] for s in self.sessions.values()) or [
                    "1900-01-01"]
            found = self._year_starts[school_year] = starts[0]
        return found

    # -- per page ----------------------------------------------------------------------------
    def load(self, family: str, ids: Iterable[str]) -> None:
        cache = self._rows.setdefault(family, {})
        wanted = sorted({i for i in ids if i and i not in cache})
        table = ROSTER_TABLES[family]
        for start in range(0, len(wanted), 500):
            for r in self.conn.execute(select(table.c.sourced_id, table.c.data).where(
                    table.c.sourced_id.in_(wanted[start:start + 500]))):
                cache[r.sourced_id] = orjson.loads(r.data)

    def row(self, family: str, sourced_id: str) -> dict[str, Any]:
        if sourced_id not in self._rows.get(family, {}):
            self.load(family, [sourced_id])
        return self._rows.get(family, {}).get(sourced_id, {})

    def load_class_ids(self, values: Iterable[str]) -> None:
        """Which of `values` are sourcedIds of classes (any status), in one query: a course
        code may be one (gateway/policy/edfi/class_keys.py)."""
        known = self._rows.get("classes", {})
        wanted = sorted({v for v in values if v and v not in self._class_ids
                         and v not in known})
        table = ROSTER_TABLES["classes"]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found = set(self.conn.execute(select(table.c.sourced_id).where(
                table.c.sourced_id.in_(chunk))).scalars())
            self._class_ids |= {v: v in found for v in chunk}

    def is_class(self, value: str) -> bool:
        if value in self._rows.get("classes", {}):
            return True
        if value not in self._class_ids:
            self.load_class_ids([value])
        return self._class_ids.get(value, False)

    def load_term_schools(self, terms: Iterable[str]) -> None:
        """For district-wide terms: the first school (by sourcedId) with a class in the term."""
        wanted = sorted({t for t in terms if t not in self._first_school_of_term})
        if not wanted:
            return
        link = LINK_TABLES["classes"]["terms"]
        classes = ROSTER_TABLES["classes"]
        for r in self.conn.execute(
            select(link.c.target_id, func.min(classes.c.school_id))
            .join(classes, classes.c.sourced_id == link.c.owner_id)
            .where(link.c.target_id.in_(wanted)).group_by(link.c.target_id)
        ):
            self._first_school_of_term[r[0]] = r[1]

    def load_offerings(self, class_ids: Iterable[str]) -> None:
        """The class that stands for each class's course offering (policy/edfi/offerings)."""
        wanted = [c for c in class_ids if c not in self._offerings]
        self._offerings |= representatives(self.conn, wanted)

    def offering_of(self, class_id: str) -> str:
        if class_id not in self._offerings:
            self.load_offerings([class_id])
        return self._offerings.get(class_id, class_id)

    def session_school(self, session_id: str) -> str | None:
        own = self.sessions.get(session_id, {}).get("school")
        if own:
            return own
        self.load_term_schools([session_id])
        found = self._first_school_of_term.get(session_id)
        if found:
            return found
        schools = sorted(s for s, d in self.orgs.items() if d.get("type") == "school")
        return schools[0] if schools else None

    def offering_session(self, class_data: dict[str, Any]) -> dict[str, Any]:
        """The session of a class's offering: its first term, or that term's parent when the
        first term is a grading period (Ed-Fi offers courses per session, not per period)."""
        terms = class_data.get("terms") or []
        session = self.sessions.get(terms[0], {}) if terms else {}
        if session.get("type") == "gradingPeriod" and session.get("parent"):
            session = self.sessions.get(session["parent"], session)
        return session
