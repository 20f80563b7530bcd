"""Plans the district before its students exist: zones, schools, calendar, courses, staff.

The district is cut into feeder zones of about 2,000 students (two elementary schools feeding a
middle and a high school); a family lives in one zone. Zones are planned one at a time and
dropped once their families are written, so memory stays flat however large the district,
while students are streamed one family at a time (see `families.py`).

Timetable: students of a grade are split into cohorts of about 24 (the "teams" middle schools
use). A cohort takes each of its grade's courses in its own section, and the grade's course list
is laid over periods 1..8 rotated by cohort and grade, so periods never clash for a student while
the sections of one subject spread over the day and a subject teacher can fill a full load.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from gateway.demo import names
from gateway.demo.catalog import (
    GRADE_COURSES,
    LEVEL_GRADES,
    CourseSpec,
    level_courses,
)
from gateway.demo.ids import SourcedIds
from gateway.demo.model import (
    Category,
    Course,
    District,
    Level,
    LineItem,
    School,
    Section,
    Session,
    Teacher,
    Zone,
)
from gateway.demo.phones import phone_number
from gateway.demo.school_year import SCHOOL_YEAR_END, TERMS, YEAR_ID, term_id

STUDENTS_PER_SCHOOL = 500
COHORT_SIZE = 24
MAX_TEACHING_LOAD = 6
INACTIVE_TEACHER_SHARE = 0.03

_DISTRICTS = (
    ("Prairie Valley Unified School District", "prairievalley"),
    ("Cedar Falls Community Schools", "cedarfalls"),
    ("Riverbend Public Schools", "riverbend"),
    ("Lakeshore Consolidated School District", "lakeshore"),
)
_PLACES = (
    "Maple Grove", "Cedar Ridge", "Riverside", "Lakeview", "Jefferson", "Roosevelt",
    "Willow Creek", "Sunnyside", "Hillcrest", "Oak Park", "Pine Valley", "Meadowbrook",
    "César Chávez", "Sojourner Truth", "Harbor View", "Eastwood", "Fairmont", "Brookside",
    "Lincoln", "Mountain View", "Garfield", "Prairie Wind", "Ellison", "Mae Jemison",
)
_QUALIFIERS = ("", "North ", "South ", "East ", "West ", "Upper ", "Lower ")
_LEVEL_NAMES: dict[Level, str] = {
    "elementary": "Elementary School",
    "middle": "Middle School",
    "high": "High School",
}
_LEVEL_SHARES: dict[Level, float] = {
    level: len(grades) / 13 for level, grades in LEVEL_GRADES.items()
}


STUDENTS_PER_ZONE = 2000


@dataclass(frozen=True, slots=True)
class DistrictOutline:
    """What is known of the district as a whole: its org, gradebook categories, zone sizes."""

    district: District
    categories: tuple[Category, ...]
    zone_sizes: tuple[int, ...]


def outline_district(students: int, seed: int) -> DistrictOutline:
    rng = random.Random(f"demo-district:{seed}")
    ids = SourcedIds(seed)
    zones = max(1, round(students / STUDENTS_PER_ZONE))
    base, extra = divmod(students, zones)
    return DistrictOutline(
        district=_district(rng, ids),
        categories=(
            Category("Homework", 40, ids("category", "homework")),
            Category("Tests", 60, ids("category", "tests")),
        ),
        zone_sizes=tuple(base + (1 if k < extra else 0) for k in range(zones)),
    )


def plan_zones(outline: DistrictOutline, seed: int) -> Iterator[Zone]:
    """Plan each zone in turn; ids and numbers continue from one zone to the next."""
    ids = SourcedIds(seed)
    builder = _Builder(ids=ids, district=outline.district, categories=outline.categories)
    for number, students in enumerate(outline.zone_sizes, 1):
        yield builder.zone(number, students, random.Random(f"demo-zone:{seed}:{number}"))


def school_count(students: int) -> dict[Level, int]:
    """About one school per 500 students, at least one of each level (K-5, 6-8, 9-12)."""
    total = max(3, round(students / STUDENTS_PER_SCHOOL))
    middle = max(1, round(total * _LEVEL_SHARES["middle"]))
    elementary = max(1, round(total * _LEVEL_SHARES["elementary"]))
    high = max(1, total - middle - elementary)
    return {"elementary": total - middle - high, "middle": middle, "high": high}


def _district(rng: random.Random, ids: SourcedIds) -> District:
    name, slug = rng.choice(_DISTRICTS)
    number = str(rng.randrange(1000, 9999))
    return District(
        number=number,
        name=name,
        state_id=f"17{number}000",
        domain=f"{slug}.k12.example",
        sourced_id=ids("district", number),
    )


def _schools(
    ids: SourcedIds, district: District, students: int, first_index: int
) -> tuple[School, ...]:
    schools: list[School] = []
    for level, count in school_count(students).items():
        for _ in range(count):
            index = first_index + len(schools)
            number = 101 + index
            name = f"{_place_name(index)} {_LEVEL_NAMES[level]}"
            schools.append(
                School(
                    number=number,
                    name=name,
                    abbreviation="".join(word[0] for word in name.split()).upper(),
                    level=level,
                    grades=LEVEL_GRADES[level],
                    state_id=f"{district.state_id[:6]}{number:04d}",
                    sourced_id=ids("school", number),
                )
            )
    return tuple(schools)


def _place_name(index: int) -> str:
    place = _PLACES[index % len(_PLACES)]
    round_ = index // len(_PLACES)
    if round_ < len(_QUALIFIERS):
        return f"{_QUALIFIERS[round_]}{place}"
    return f"{place} {round_ + 1}"


@dataclass(slots=True)
class _Slot:
    spec: CourseSpec
    grade: int
    cohort: int
    period: int
    semester: int  # 0 = whole year, 1 or 2


@dataclass(slots=True)
class _Desk:
    """A teacher being staffed: subject, busy periods (per semester) and load."""

    subject: str
    busy: set[tuple[int, int]] = field(default_factory=set)
    load: int = 0

    def can_take(self, slot: _Slot) -> bool:
        if self.load >= MAX_TEACHING_LOAD:
            return False
        semesters = (1, 2) if slot.semester == 0 else (slot.semester,)
        return all((slot.period, s) not in self.busy for s in semesters)

    def take(self, slot: _Slot) -> None:
        semesters = (1, 2) if slot.semester == 0 else (slot.semester,)
        self.busy.update((slot.period, s) for s in semesters)
        self.load += 1


@dataclass(slots=True)
class _Builder:
    """Builds zones one after the other; the lists hold the current zone only."""

    ids: SourcedIds
    district: District
    categories: tuple[Category, ...]
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # set per zone
    students: int = 0
    schools_so_far: int = 0
    teachers_so_far: int = 0
    sections_so_far: int = 0
    sessions: list[Session] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    teachers: list[Teacher] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    cohorts: dict[tuple[School, int], tuple[tuple[Section, ...], ...]] = field(
        default_factory=dict
    )

    def zone(self, number: int, students: int, rng: random.Random) -> Zone:
        self.rng, self.students = rng, students
        self.sessions, self.courses, self.teachers, self.sections = [], [], [], []
        self.cohorts = {}
        schools = _schools(self.ids, self.district, students, self.schools_so_far)
        self.schools_so_far += len(schools)
        for school in schools:
            self.add_school(school)
        return Zone(
            number=number,
            students=students,
            district=self.district,
            schools=schools,
            sessions=tuple(self.sessions),
            courses=tuple(self.courses),
            teachers=tuple(self.teachers),
            sections=tuple(self.sections),
            cohorts=self.cohorts,
            schools_by_level={
                level: tuple(s for s in schools if s.level == level) for level in LEVEL_GRADES
            },
        )

    def add_school(self, school: School) -> None:
        sessions = self._sessions(school)
        courses = self._courses(school)
        slots = list(self._slots(school))
        desks, chosen = _staff(slots)
        teachers = [self._teacher(school, desk, index) for index, desk in enumerate(desks)]
        teachers += self._inactive_teachers(school, len(teachers))
        by_cohort: dict[tuple[int, int], list[Section]] = {}
        for slot, desk_index in zip(slots, chosen, strict=True):
            section = self._section(slot, courses[slot.spec.code], sessions, teachers[desk_index])
            by_cohort.setdefault((slot.grade, slot.cohort), []).append(section)
        for grade in school.grades:
            cohorts = sorted(key for key in by_cohort if key[0] == grade)
            self.cohorts[(school, grade)] = tuple(tuple(by_cohort[key]) for key in cohorts)

    def _sessions(self, school: School) -> dict[int, Session]:
        by_offset: dict[int, Session] = {}
        for spec in TERMS:
            tid = term_id(spec.offset)
            session = Session(
                school=school,
                kind=spec.kind,
                term_id=tid,
                title=spec.title if spec.kind == "year" else f"{spec.title} 2026-2027",
                abbreviation=spec.abbreviation,
                first_day=spec.first_day,
                last_day=spec.last_day,
                year_id=YEAR_ID,
                parent_term_id=None if spec.parent_offset is None else term_id(spec.parent_offset),
                sourced_id=self.ids("term", f"{school.number}-{tid}"),
                school_year=SCHOOL_YEAR_END,
            )
            by_offset[spec.offset] = session
            self.sessions.append(session)
        return by_offset

    def _courses(self, school: School) -> dict[str, Course]:
        courses: dict[str, Course] = {}
        for spec in level_courses(school.level):
            course = Course(
                school=school,
                number=spec.code,
                title=spec.title,
                grades=spec.grades,
                subject=spec.subject,
                sced_code=spec.sced_code,
                semester_long=spec.semester_long,
                elective=spec.elective,
                sourced_id=self.ids("course", f"{school.number}-{spec.code}"),
            )
            courses[spec.code] = course
            self.courses.append(course)
        return courses

    def _slots(self, school: School) -> Iterator[_Slot]:
        per_grade = self.students / 13 / _schools_of_level(self.students, school.level)
        cohorts = max(1, round(per_grade / COHORT_SIZE))
        for grade in school.grades:
            specs = GRADE_COURSES[grade]
            for cohort in range(cohorts):
                for index, spec in enumerate(specs):
                    period = (index + cohort + grade) % len(specs) + 1
                    semester = (cohort % 2) + 1 if spec.semester_long else 0
                    yield _Slot(spec, grade, cohort, period, semester)

    def _teacher(self, school: School, desk: _Desk | None, index: int) -> Teacher:
        self.teachers_so_far += 1
        teacher_id = self.teachers_so_far
        number = str(5000 + teacher_id)
        heritage = names.pick_heritage(self.rng)
        sex = self.rng.choice(("M", "F", "F"))
        room = "Gym" if desk is not None and "Physical" in desk.subject else str(100 + index)
        teacher = Teacher(
            id=teacher_id,
            number=number,
            given_name=names.given_name(self.rng, heritage, sex),
            family_name=names.family_name(self.rng, heritage),
            school=school,
            active=desk is not None,
            room=room if desk is not None else "",
            email=f"t{number}@{self.district.domain}",
            username=f"t{number}",
            phone=phone_number(self.rng),
            sourced_id=self.ids("teacher", teacher_id),
        )
        self.teachers.append(teacher)
        return teacher

    def _inactive_teachers(self, school: School, active: int) -> list[Teacher]:
        count = sum(self.rng.random() < INACTIVE_TEACHER_SHARE for _ in range(active))
        return [self._teacher(school, None, active + i) for i in range(count)]

    def _section(
        self, slot: _Slot, course: Course, sessions: dict[int, Session], teacher: Teacher
    ) -> Section:
        self.sections_so_far += 1
        section_id = self.sections_so_far
        term = sessions[slot.semester]
        sourced_id = self.ids("section", section_id)
        section = Section(
            id=section_id,
            course=course,
            number=slot.cohort + 1,
            grade=slot.grade,
            cohort=slot.cohort,
            period=slot.period,
            term=term,
            teacher=teacher,
            room=teacher.room,
            sourced_id=sourced_id,
            line_items=self._line_items(section_id, term, sessions),
        )
        self.sections.append(section)
        return section

    def _line_items(
        self, section_id: int, term: Session, sessions: dict[int, Session]
    ) -> tuple[LineItem, ...]:
        spring = term.kind == "semester" and term.first_day.year == SCHOOL_YEAR_END
        quarter = sessions[13 if spring else 12]
        start = quarter.first_day + timedelta(days=14)
        homework, tests = self.categories
        return (
            LineItem("Homework 1", "Practice problems for the first unit of the quarter.",
                     homework, quarter, start, start + timedelta(days=7),
                     self.ids("lineitem", f"{section_id}-1")),
            LineItem("Unit 1 Test", "End-of-unit assessment.", tests, quarter,
                     start + timedelta(days=14), start + timedelta(days=18),
                     self.ids("lineitem", f"{section_id}-2")),
        )


def _schools_of_level(students: int, level: Level) -> int:
    return school_count(students)[level]


def _staff(slots: list[_Slot]) -> tuple[list[_Desk], list[int]]:
    """Give each slot the first same-subject teacher free in that period, hiring as needed."""
    desks: list[_Desk] = []
    chosen: list[int] = []
    for slot in slots:
        index = next(
            (
                i
                for i, desk in enumerate(desks)
                if desk.subject == slot.spec.subject and desk.can_take(slot)
            ),
            None,
        )
        if index is None:
            desks.append(_Desk(slot.spec.subject))
            index = len(desks) - 1
        desks[index].take(slot)
        chosen.append(index)
    return desks, chosen
