"""Streams the district's students one family at a time, with their guardians and classes.

A family (one or two guardians and the siblings they share) is the smallest unit that can be
written without looking back: guardians and children point at each other, so both must be known
when either is written. Nothing is kept after a family is yielded except counters, so memory
does not grow with the number of students.

A few realistic irregularities are built in, as a district's SIS export has them: students who
transferred out this fall (inactive, classes ended on the transfer date) and classes a student
dropped and replaced (kept as SIS history; vendor exports mark them with negative section ids).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from gateway.demo import names
from gateway.demo.catalog import ELECTIVE_TAKE_RATE, level_of_grade
from gateway.demo.ids import SourcedIds
from gateway.demo.model import (
    Enrollment,
    Family,
    Guardian,
    RaceCode,
    Relationship,
    School,
    Section,
    Sex,
    Student,
    Zone,
)
from gateway.demo.phones import phone_number
from gateway.demo.school_year import SCHOOL_YEAR_END

CHILDREN_PER_FAMILY = ((1, 45), (2, 35), (3, 15), (4, 5))
TWO_GUARDIAN_SHARE = 0.7
SINGLE_GUARDIAN = (("Mother", 60), ("Father", 25), ("Grandparent", 8), ("Guardian", 7))
MIDDLE_NAME_SHARE = 0.45
NONBINARY_SHARE = 0.01
RETAINED_SHARE = 0.04
EXTRA_RACE_SHARE = 0.03
TRANSFER_SHARE = 0.015
DROPPED_SHARE = 0.02
TRANSFER_WINDOW = (date(2026, 9, 14), date(2026, 11, 20))
GRADES = tuple(range(0, 13))
_RACES: tuple[RaceCode, ...] = ("I", "A", "B", "P", "W")
# Odd, and prime to 3 and 5, so that id -> state number is a bijection modulo 9e9.
_STATE_NUMBER_STEP = 6_364_136_227
T = TypeVar("T")


@dataclass(slots=True)
class People:
    """Invents the district's families zone after zone; numbering continues across zones."""

    seed: int
    zone: Zone | None = None
    rng: random.Random = field(init=False)
    ids: SourcedIds = field(init=False)
    next_student: int = 1
    next_contact: int = 1
    next_cc: int = 1
    seats: dict[tuple[School, int], int] = field(default_factory=dict)
    state_offset: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(f"demo-people:{self.seed}")
        self.ids = SourcedIds(self.seed)
        self.state_offset = self.rng.randrange(9_000_000_000)

    def families(self, zone: Zone) -> Iterator[Family]:
        """Yield families until the zone has exactly `zone.students` students."""
        self.zone, self.seats = zone, {}
        remaining = zone.students
        while remaining > 0:
            size = min(remaining, _weighted(self.rng, CHILDREN_PER_FAMILY))
            remaining -= size
            yield self._family(size)

    @property
    def _zone(self) -> Zone:
        if self.zone is None:
            raise RuntimeError("families() sets the zone before any family is made")
        return self.zone

    def _family(self, size: int) -> Family:
        rng = self.rng
        heritage = names.pick_heritage(rng)
        family_name = names.family_name(rng, heritage)
        grades = sorted(rng.sample(GRADES, size))
        neighbourhood = rng.random()
        schools = [self._school(grade, neighbourhood) for grade in grades]
        phone = phone_number(rng)
        guardians = self._guardians(heritage, family_name, phone, schools[0])
        children = tuple(
            self._student(heritage, family_name, grade, school, guardians, phone)
            for grade, school in zip(grades, schools, strict=True)
        )
        return Family(guardians=guardians, children=children)

    def _school(self, grade: int, neighbourhood: float) -> School:
        choices = self._zone.schools_by_level[level_of_grade(grade)]
        return choices[int(neighbourhood * len(choices))]

    def _guardians(
        self, heritage: names.Heritage, family_name: str, phone: str, school: School
    ) -> tuple[Guardian, ...]:
        rng = self.rng
        if rng.random() < TWO_GUARDIAN_SHARE:
            relationships: tuple[Relationship, ...] = ("Mother", "Father")
        else:
            relationships = (_weighted(rng, SINGLE_GUARDIAN),)
        guardians = []
        for index, relationship in enumerate(relationships):
            sex: Sex = "M" if relationship == "Father" else rng.choice(("F", "F", "M"))
            if relationship == "Mother":
                sex = "F"
            surname = family_name
            if index == 1 and rng.random() < 0.2:
                surname = names.family_name(rng, names.pick_heritage(rng))
            contact_id = self.next_contact
            self.next_contact += 1
            guardians.append(
                Guardian(
                    contact_id=contact_id,
                    given_name=names.given_name(rng, heritage, sex),
                    family_name=surname,
                    email=f"guardian{contact_id}@mail.example",
                    phone=phone if index == 0 else phone_number(rng),
                    relationship=relationship,
                    school=school,
                    username=f"g{contact_id}",
                    sourced_id=self.ids("guardian", contact_id),
                )
            )
        return tuple(guardians)

    def _student(
        self,
        heritage: names.Heritage,
        family_name: str,
        grade: int,
        school: School,
        guardians: tuple[Guardian, ...],
        phone: str,
    ) -> Student:
        rng = self.rng
        student_id = self.next_student
        self.next_student += 1
        number = str(100000 + student_id)
        sex: Sex = "X" if rng.random() < NONBINARY_SHARE else rng.choice(("M", "F"))
        middle = ""
        if rng.random() < MIDDLE_NAME_SHARE:
            middle = names.given_name(rng, heritage, sex)
        transferred_on = None
        if rng.random() < TRANSFER_SHARE:
            transferred_on = _day_between(rng, *TRANSFER_WINDOW)
        sections = self._timetable(school, grade, transferred_on)
        return Student(
            id=student_id,
            number=number,
            state_number=str(
                1_000_000_000
                + (student_id * _STATE_NUMBER_STEP + self.state_offset) % 9_000_000_000
            ),
            given_name=names.given_name(rng, heritage, sex),
            middle_name=middle,
            family_name=family_name,
            birth_date=self._birth_date(grade),
            sex=sex,
            races=self._races(heritage),
            hispanic=rng.random() < heritage.hispanic_share,
            grade=grade,
            school=school,
            guardians=guardians,
            email=f"s{number}@students.{self._zone.district.domain}",
            username=f"s{number}",
            phone=phone,
            transferred_on=transferred_on,
            sourced_id=self.ids("student", student_id),
            enrollments=tuple(self._enroll(section, transferred_on) for section in sections),
            dropped=self._dropped(school, grade, sections),
        )

    def _timetable(
        self, school: School, grade: int, transferred_on: date | None
    ) -> list[Section]:
        """The student's cohort sections: every required course, some electives.

        A student who left this fall never started a spring-only elective.
        """
        cohorts = self._zone.cohorts[(school, grade)]
        seat = self.seats.get((school, grade), 0)
        self.seats[(school, grade)] = seat + 1
        chosen = []
        for section in cohorts[seat % len(cohorts)]:
            if section.course.elective:
                if self.rng.random() >= ELECTIVE_TAKE_RATE:
                    continue
                if transferred_on is not None and section.term.first_day > transferred_on:
                    continue
            chosen.append(section)
        return chosen

    def _enroll(self, section: Section, transferred_on: date | None) -> Enrollment:
        cc_id = self.next_cc
        self.next_cc += 1
        left = section.term.last_day + timedelta(days=1)
        if transferred_on is not None:
            left = min(left, transferred_on)
        return Enrollment(
            id=cc_id,
            section=section,
            first_day=section.term.first_day,
            left_day=left,
            sourced_id=self.ids("enrollment", cc_id),
        )

    def _dropped(
        self, school: School, grade: int, taken: list[Section]
    ) -> tuple[Enrollment, ...]:
        """Now and then a class the student left in the first days (a schedule change)."""
        if self.rng.random() >= DROPPED_SHARE:
            return ()
        taken_courses = {section.course for section in taken}
        candidates = [
            section
            for cohort in self._zone.cohorts[(school, grade)]
            for section in cohort
            if section not in taken and (section.course.elective or section.course in taken_courses)
        ]
        if not candidates:
            return ()
        section = self.rng.choice(candidates)
        cc_id = self.next_cc
        self.next_cc += 1
        first = section.term.first_day
        return (
            Enrollment(
                id=cc_id,
                section=section,
                first_day=first,
                left_day=first + timedelta(days=self.rng.randrange(1, 10)),
                sourced_id=self.ids("enrollment", cc_id),
                dropped=True,
            ),
        )

    def _birth_date(self, grade: int) -> date:
        """On-track students turn 5 + grade by 1 September; a few were held back a year."""
        age = 5 + grade + (1 if self.rng.random() < RETAINED_SHARE else 0)
        first = date(SCHOOL_YEAR_END - 1 - age - 1, 9, 2)
        return _day_between(self.rng, first, date(first.year + 1, 9, 1))

    def _races(self, heritage: names.Heritage) -> tuple[RaceCode, ...]:
        races = list(heritage.races)
        if self.rng.random() < EXTRA_RACE_SHARE:
            extra = self.rng.choice(_RACES)
            if extra not in races:
                races.append(extra)
        return tuple(sorted(races, key=_RACES.index))


def _weighted(rng: random.Random, table: tuple[tuple[T, int], ...]) -> T:
    values = [value for value, _ in table]
    return rng.choices(values, weights=[weight for _, weight in table])[0]


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))
