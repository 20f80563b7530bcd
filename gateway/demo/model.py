"""The demo district as plain domain objects, independent of any file format.

The generator builds these once and every format writer reads them, so that adding a format
(Ed-Fi XML, another vendor export) never touches how the district is invented. Each object
carries both kinds of identity a real district has: the SIS's integer ids (what vendor exports
show) and an opaque OneRoster sourcedId derived from those ids, never from names or e-mails.

Grades are PowerSchool-style integers throughout (-1 = PK, 0 = KG, 1..12); writers translate.

Entities compare by identity (eq=False): they are unique by construction, and identity hashing
keeps the per-enrollment dictionary look-ups cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Level = Literal["elementary", "middle", "high"]
SessionKind = Literal["year", "semester", "quarter"]
Sex = Literal["M", "F", "X"]
Relationship = Literal["Mother", "Father", "Guardian", "Grandparent"]
RaceCode = Literal["I", "A", "B", "P", "W"]


@dataclass(frozen=True, slots=True, eq=False)
class District:
    number: str
    name: str
    state_id: str
    domain: str
    sourced_id: str


@dataclass(frozen=True, slots=True, eq=False)
class School:
    number: int
    name: str
    abbreviation: str
    level: Level
    grades: tuple[int, ...]
    state_id: str
    sourced_id: str

    @property
    def low_grade(self) -> int:
        return self.grades[0]

    @property
    def high_grade(self) -> int:
        return self.grades[-1]


@dataclass(frozen=True, slots=True, eq=False)
class Session:
    """A school year, semester or quarter of one school (SIS term ids repeat per school)."""

    school: School
    kind: SessionKind
    term_id: int
    title: str
    abbreviation: str
    first_day: date
    last_day: date
    year_id: int
    parent_term_id: int | None
    sourced_id: str
    school_year: int  # the calendar year in which the school year ends


@dataclass(frozen=True, slots=True, eq=False)
class Course:
    school: School
    number: str
    title: str
    grades: tuple[int, ...]
    subject: str
    sced_code: str
    semester_long: bool
    elective: bool
    sourced_id: str


@dataclass(frozen=True, slots=True, eq=False)
class Teacher:
    id: int
    number: str
    given_name: str
    family_name: str
    school: School
    active: bool
    room: str
    email: str
    username: str
    phone: str
    sourced_id: str


@dataclass(frozen=True, slots=True, eq=False)
class Section:
    """A class: one course, taught in one period and one term by one primary teacher.

    `grade` and `cohort` say which students the timetable puts in it (a course listed for
    several grades still gets separate sections per grade, as schedulers usually do).
    """

    id: int
    course: Course
    number: int
    grade: int
    cohort: int
    period: int
    term: Session
    teacher: Teacher
    room: str
    sourced_id: str
    line_items: tuple[LineItem, ...]

    @property
    def school(self) -> School:
        return self.course.school


@dataclass(frozen=True, slots=True, eq=False)
class Category:
    title: str
    weight: int
    sourced_id: str


@dataclass(frozen=True, slots=True, eq=False)
class LineItem:
    title: str
    description: str
    category: Category
    grading_period: Session
    assign_date: date
    due_date: date
    sourced_id: str


@dataclass(frozen=True, slots=True, eq=False)
class Guardian:
    contact_id: int
    given_name: str
    family_name: str
    email: str
    phone: str
    relationship: Relationship
    school: School
    username: str
    sourced_id: str


@dataclass(frozen=True, slots=True, eq=False)
class Enrollment:
    """One student in one section; `dropped` rows exist only as SIS history (negative ids)."""

    id: int
    section: Section
    first_day: date
    left_day: date
    sourced_id: str
    dropped: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class Student:
    id: int
    number: str
    state_number: str
    given_name: str
    middle_name: str
    family_name: str
    birth_date: date
    sex: Sex
    races: tuple[RaceCode, ...]
    hispanic: bool
    grade: int
    school: School
    guardians: tuple[Guardian, ...]
    email: str
    username: str
    phone: str
    transferred_on: date | None
    sourced_id: str
    enrollments: tuple[Enrollment, ...] = ()
    dropped: tuple[Enrollment, ...] = ()

    @property
    def active(self) -> bool:
        return self.transferred_on is None


@dataclass(frozen=True, slots=True, eq=False)
class Family:
    """Siblings and the guardians they share; the unit the generator streams."""

    guardians: tuple[Guardian, ...]
    children: tuple[Student, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Zone:
    """One feeder zone (elementary schools feeding a middle and a high school) with its
    calendar, courses, staff and timetable: the only structure held in memory at a time.
    Families live in one zone, so the district is generated zone after zone in flat memory.
    """

    number: int
    students: int
    district: District
    schools: tuple[School, ...]
    sessions: tuple[Session, ...]
    courses: tuple[Course, ...]
    teachers: tuple[Teacher, ...]
    sections: tuple[Section, ...]
    # The timetable: for each (school, grade), one tuple of sections per cohort of students.
    cohorts: dict[tuple[School, int], tuple[tuple[Section, ...], ...]]
    # Schools of each level, in order; a family's neighbourhood picks one per level.
    schools_by_level: dict[Level, tuple[School, ...]]
