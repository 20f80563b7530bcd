"""Writes the demo district as a OneRoster CSV bulk package (a folder), version 1.2 or 1.1.

Bulk rules of the binding: status and dateLastModified stay empty, every reference resolves
inside the package, lists go in one field separated by commas (the csv module quotes them),
booleans are lower-case, userIds are `{type:identifier}`. Users carry no role in 1.2 (roles.csv
does); in 1.1 the role and orgs sit on the user row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gateway.demo.closing import ClosedOnExit
from gateway.demo.csv_files import CsvFolder, RowWriter
from gateway.demo.model import (
    Category,
    District,
    Family,
    Guardian,
    School,
    Section,
    Session,
    Student,
    Teacher,
    Zone,
)
from gateway.demo.oneroster_columns import HEADERS, MANIFEST_FILES

VERSIONS = ("1.1", "1.2")
_SESSION_TYPES = {"year": "schoolYear", "semester": "term", "quarter": "gradingPeriod"}
_SEX_1_2 = {"M": "male", "F": "female", "X": "other"}
_SEX_1_1 = {"M": "male", "F": "female", "X": ""}  # 1.1 knows only male and female
_GUARDIAN_ROLES = {"Mother": "parent", "Father": "parent"}
_RACE_COLUMNS = (
    ("I", "americanIndianOrAlaskaNative"),
    ("A", "asian"),
    ("B", "blackOrAfricanAmerican"),
    ("P", "nativeHawaiianOrOtherPacificIslander"),
    ("W", "white"),
)


class OneRosterCsvWriter(ClosedOnExit):
    def __init__(self, out_dir: Path, *, oneroster_version: str = "1.2") -> None:
        if oneroster_version not in VERSIONS:
            raise ValueError(
                f"unsupported OneRoster version {oneroster_version!r}; expected 1.1 or 1.2"
            )
        self._version = oneroster_version
        self._headers = HEADERS[oneroster_version]
        self._folder = CsvFolder(out_dir, line_ending="\r\n")
        self._rows: dict[str, RowWriter] = {}
        self._terms: dict[School, tuple[str, str]] = {}
        self._year_of: dict[School, str] = {}

    def begin(self, district: District, categories: tuple[Category, ...]) -> None:
        self._write_manifest()
        for name in self._headers:
            self._rows[name] = self._folder.open(name, self._headers[name])
        self._emit("orgs.csv", {
            "sourcedId": district.sourced_id,
            "name": district.name,
            "type": "district",
            "identifier": district.state_id,
        })
        for category in categories:
            self._emit("categories.csv", {
                "sourcedId": category.sourced_id,
                "title": category.title,
                "weight": str(category.weight),
            })

    def add_zone(self, zone: Zone) -> None:
        for school in zone.schools:
            self._emit("orgs.csv", {
                "sourcedId": school.sourced_id,
                "name": school.name,
                "type": "school",
                "identifier": school.state_id,
                "parentSourcedId": zone.district.sourced_id,
            })
        self._write_sessions(zone.sessions)
        for course in zone.courses:
            self._emit("courses.csv", {
                "sourcedId": course.sourced_id,
                "schoolYearSourcedId": self._year_of[course.school],
                "title": course.title,
                "courseCode": course.number,
                "grades": _grades(course.grades),
                "orgSourcedId": course.school.sourced_id,
                "subjects": course.subject,
                "subjectCodes": course.sced_code,
            })
        for teacher in zone.teachers:
            self._write_teacher(teacher)
        for section in zone.sections:
            self._write_section(section)

    def add_family(self, family: Family) -> None:
        children = [child.sourced_id for child in family.children]
        for guardian in family.guardians:
            self._write_guardian(guardian, children)
        for child in family.children:
            self._write_student(child)

    def close(self) -> list[Path]:
        return self._folder.close()


    # -- rows -----------------------------------------------------------------------------

    def _emit(self, name: str, row: dict[str, str]) -> None:
        self._rows[name]([row.get(column, "") for column in self._headers[name]])

    def _write_manifest(self) -> None:
        rows = self._folder.open("manifest.csv", ("propertyName", "value"))
        rows(("manifest.version", "1.0"))
        rows(("oneroster.version", self._version))
        for name in MANIFEST_FILES[self._version]:
            rows((f"file.{name}", "bulk" if f"{name}.csv" in self._headers else "absent"))
        rows(("source.systemName", "School Data Gateway demo district"))
        rows(("source.systemCode", "sdg-demo"))

    def _write_sessions(self, sessions: Iterable[Session]) -> None:
        self._year_of.clear()  # the previous zone's schools are done
        by_term: dict[tuple[School, int], Session] = {}
        semesters: dict[School, list[str]] = {}
        for session in sessions:
            by_term[(session.school, session.term_id)] = session
            if session.kind == "year":
                self._year_of[session.school] = session.sourced_id
            if session.kind == "semester":
                semesters.setdefault(session.school, []).append(session.sourced_id)
            parent = by_term.get((session.school, session.parent_term_id or 0))
            self._emit("academicSessions.csv", {
                "sourcedId": session.sourced_id,
                "title": session.title,
                "type": _SESSION_TYPES[session.kind],
                "startDate": session.first_day.isoformat(),
                "endDate": session.last_day.isoformat(),
                "parentSourcedId": parent.sourced_id if parent else "",
                "schoolYear": str(session.school_year),
            })
        self._terms = {school: (s1, s2) for school, (s1, s2) in semesters.items()}

    def _write_section(self, section: Section) -> None:
        course = section.course
        school = section.school
        if section.term.kind == "year":
            terms = ",".join(self._terms[school])  # a year-long class runs in both terms
        else:
            terms = section.term.sourced_id
        self._emit("classes.csv", {
            "sourcedId": section.sourced_id,
            "title": f"{course.title} - Period {section.period}",
            "grades": _grades(course.grades),
            "courseSourcedId": course.sourced_id,
            "classCode": f"{course.number}-{section.number}",
            "classType": "scheduled",
            "location": section.room if section.room == "Gym" else f"Room {section.room}",
            "schoolSourcedId": school.sourced_id,
            "termSourcedIds": terms,
            "subjects": course.subject,
            "subjectCodes": course.sced_code,
            "periods": str(section.period),
        })
        self._emit("enrollments.csv", {
            "sourcedId": derived_id(section.sourced_id, "teacher-enrollment"),
            "classSourcedId": section.sourced_id,
            "schoolSourcedId": school.sourced_id,
            "userSourcedId": section.teacher.sourced_id,
            "role": "teacher",
            "primary": "true",
        })
        for item in section.line_items:
            period_column = (
                "academicSessionSourcedId" if self._version == "1.2" else "gradingPeriodSourcedId"
            )
            self._emit("lineItems.csv", {
                "sourcedId": item.sourced_id,
                "title": item.title,
                "description": item.description,
                "assignDate": item.assign_date.isoformat(),
                "dueDate": item.due_date.isoformat(),
                "classSourcedId": section.sourced_id,
                "categorySourcedId": item.category.sourced_id,
                period_column: item.grading_period.sourced_id,
                "resultValueMin": "0",
                "resultValueMax": "100",
                "schoolSourcedId": school.sourced_id,
            })

    def _write_teacher(self, teacher: Teacher) -> None:
        self._write_user(
            {
                "sourcedId": teacher.sourced_id,
                "enabledUser": _bool(teacher.active),
                "username": teacher.username,
                "userIds": f"{{sis:{teacher.number}}}",
                "givenName": teacher.given_name,
                "familyName": teacher.family_name,
                "identifier": teacher.number,
                "email": teacher.email,
                "phone": teacher.phone,
            },
            role="teacher",
            school=teacher.school,
        )

    def _write_guardian(self, guardian: Guardian, children: list[str]) -> None:
        self._write_user(
            {
                "sourcedId": guardian.sourced_id,
                "enabledUser": "true",
                "username": guardian.username,
                "userIds": f"{{sis:{guardian.contact_id}}}",
                "givenName": guardian.given_name,
                "familyName": guardian.family_name,
                "identifier": str(guardian.contact_id),
                "email": guardian.email,
                "phone": guardian.phone,
                "agentSourcedIds": ",".join(children),
            },
            role=_GUARDIAN_ROLES.get(guardian.relationship, "guardian"),
            school=guardian.school,
        )

    def _write_student(self, student: Student) -> None:
        self._write_user(
            {
                "sourcedId": student.sourced_id,
                "enabledUser": _bool(student.active),
                "username": student.username,
                "userIds": f"{{state:{student.state_number}}},{{sis:{student.number}}}",
                "givenName": student.given_name,
                "familyName": student.family_name,
                "middleName": student.middle_name,
                "identifier": student.number,
                "email": student.email,
                "phone": student.phone,
                "agentSourcedIds": ",".join(g.sourced_id for g in student.guardians),
                "grades": _grade(student.grade),
            },
            role="student",
            school=student.school,
        )
        self._write_demographics(student)
        school = student.school.sourced_id
        for enrollment in student.enrollments:
            self._emit("enrollments.csv", {
                "sourcedId": enrollment.sourced_id,
                "classSourcedId": enrollment.section.sourced_id,
                "schoolSourcedId": school,
                "userSourcedId": student.sourced_id,
                "role": "student",
                "primary": "false",
                # Only a student who left has an end before the class ends.
                "endDate": enrollment.left_day.isoformat() if student.transferred_on else "",
            })

    def _write_user(self, row: dict[str, str], *, role: str, school: School) -> None:
        if self._version == "1.1":
            row.update(orgSourcedIds=school.sourced_id, role=role)
            self._emit("users.csv", row)
            return
        row["primaryOrgSourcedId"] = school.sourced_id
        self._emit("users.csv", row)
        self._emit("roles.csv", {
            "sourcedId": derived_id(row["sourcedId"], f"role-{role}"),
            "userSourcedId": row["sourcedId"],
            "roleType": "primary",
            "role": role,
            "orgSourcedId": school.sourced_id,
        })

    def _write_demographics(self, student: Student) -> None:
        sexes = _SEX_1_2 if self._version == "1.2" else _SEX_1_1
        row: dict[str, Any] = {
            "sourcedId": student.sourced_id,
            "birthDate": student.birth_date.isoformat(),
            "sex": sexes[student.sex],
            "demographicRaceTwoOrMoreRaces": _bool(len(student.races) > 1),
            "hispanicOrLatinoEthnicity": _bool(student.hispanic),
            "countryOfBirthCode": "US",
        }
        for code, column in _RACE_COLUMNS:
            row[column] = _bool(code in student.races)
        self._emit("demographics.csv", row)


def derived_id(sourced_id: str, purpose: str) -> str:
    """An opaque id for a row that exists only because of another (a user's role row)."""
    return str(uuid.uuid5(uuid.UUID(sourced_id), purpose))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _grade(grade: int) -> str:
    return {-1: "PK", 0: "KG"}.get(grade, f"{grade:02d}")


def _grades(grades: Iterable[int]) -> str:
    return ",".join(_grade(grade) for grade in grades)

