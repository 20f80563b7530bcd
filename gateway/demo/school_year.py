"""The demo school year: fixed dates, never the wall clock, so that every run is byte-identical.

The demo is set in the 2026-2027 school year (its "today" is 2026-11-28): fall semester and
its two quarters are under way, spring is scheduled. Term ids follow the PowerSchool habit that
vendor exports carry: YearID = ending year - 1991, the year is YearID*100, semesters +1/+2,
quarters +11..+14.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.demo.model import SessionKind

SCHOOL_YEAR_END = 2027
TODAY = date(2026, 11, 28)
YEAR_ID = SCHOOL_YEAR_END - 1991


@dataclass(frozen=True, slots=True)
class TermSpec:
    kind: SessionKind
    offset: int  # added to YEAR_ID * 100
    title: str
    abbreviation: str
    first_day: date
    last_day: date
    parent_offset: int | None


TERMS: tuple[TermSpec, ...] = (
    TermSpec("year", 0, "2026-2027", "26-27", date(2026, 8, 19), date(2027, 6, 4), None),
    TermSpec("semester", 1, "Semester 1", "S1", date(2026, 8, 19), date(2026, 12, 18), 0),
    TermSpec("semester", 2, "Semester 2", "S2", date(2027, 1, 5), date(2027, 6, 4), 0),
    TermSpec("quarter", 11, "Quarter 1", "Q1", date(2026, 8, 19), date(2026, 10, 16), 1),
    TermSpec("quarter", 12, "Quarter 2", "Q2", date(2026, 10, 19), date(2026, 12, 18), 1),
    TermSpec("quarter", 13, "Quarter 3", "Q3", date(2027, 1, 5), date(2027, 3, 12), 2),
    TermSpec("quarter", 14, "Quarter 4", "Q4", date(2027, 3, 15), date(2027, 6, 4), 2),
)


def term_id(offset: int) -> int:
    return YEAR_ID * 100 + offset


def age_on_cutoff_for_grade(grade: int) -> int:
    """Age a child has on 1 September of the school's first year when in `grade` (KG = 0)."""
    return 5 + grade
