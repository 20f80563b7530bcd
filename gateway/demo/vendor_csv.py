"""Writes the demo district as a PowerSchool-style SIS export (the "vendor-csv" contract).

The export imitates what districts actually hand over: Windows line endings, a UTF-8 file with
a byte-order mark (students), two files in Windows-1252 (teachers, guardians), US dates, SIS
integer codes, `;`-separated multi-values, and SIS history such as dropped classes kept with a
negative section id. The contract with the `powerschool` mapping pack is in the issue brief;
column order below is part of it.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

from gateway.demo.closing import ClosedOnExit
from gateway.demo.csv_files import CsvFolder, RowWriter
from gateway.demo.model import Category, District, Family, Section, Student, Zone

COLUMNS: dict[str, tuple[str, ...]] = {
    "schools.csv": (
        "School_Number", "Name", "Abbreviation", "Low_Grade", "High_Grade", "SchoolState_ID",
        "District_Number", "District_Name",
    ),
    "terms.csv": (
        "ID", "SchoolID", "Name", "Abbreviation", "Term_Type", "FirstDay", "LastDay", "YearID",
        "Parent_TermID",
    ),
    "courses.csv": (
        "Course_Number", "Course_Name", "SchoolID", "Grade_Levels", "Subject", "SCED_Code",
    ),
    "teachers.csv": (
        "ID", "TeacherNumber", "First_Name", "Last_Name", "Email_Addr", "SchoolID", "Status",
        "Staff_Type", "TeacherLoginID",
    ),
    "students.csv": (
        "ID", "Student_Number", "State_StudentNumber", "First_Name", "Middle_Name", "Last_Name",
        "DOB", "Gender", "Grade_Level", "SchoolID", "Enroll_Status", "FedEthnicity",
        "FedRaceCodes", "Student_Web_ID", "Student_Email", "Home_Phone", "Guardian_ContactIDs",
    ),
    "guardians.csv": (
        "ContactID", "First_Name", "Last_Name", "Email", "Phone", "Relationship", "SchoolID",
    ),
    "sections.csv": (
        "ID", "SchoolID", "Course_Number", "Section_Number", "TermID", "Expression", "Teacher",
        "Room",
    ),
    "cc.csv": ("ID", "StudentID", "SectionID", "SchoolID", "TermID", "DateEnrolled", "DateLeft"),
}
ENCODINGS: dict[str, str] = {
    "students.csv": "utf-8-sig",
    "teachers.csv": "cp1252",
    "guardians.csv": "cp1252",
}
_TERM_TYPES = {"year": "Year", "semester": "Semester", "quarter": "Quarter"}
ENROLL_ACTIVE, ENROLL_TRANSFERRED = 0, 2
STATUS_CURRENT, STATUS_INACTIVE = 1, 2
STAFF_TYPE_TEACHER = 1


class VendorCsvWriter(ClosedOnExit):
    def __init__(self, out_dir: Path, *, oneroster_version: str = "1.2") -> None:
        # The OneRoster version does not apply to a vendor export; accepted for a uniform call.
        self._folder = CsvFolder(out_dir, line_ending="\r\n")
        self._rows: dict[str, RowWriter] = {}

    def begin(self, district: District, categories: tuple[Category, ...]) -> None:
        """Open the files; a SIS export has no district-wide rows of its own."""
        for name, columns in COLUMNS.items():
            self._rows[name] = self._folder.open(
                name, columns, encoding=ENCODINGS.get(name, "utf-8")
            )

    def add_zone(self, zone: Zone) -> None:
        district = zone.district
        for school in zone.schools:
            self._rows["schools.csv"]((
                school.number, school.name, school.abbreviation, school.low_grade,
                school.high_grade, school.state_id, district.number, district.name,
            ))
        for session in zone.sessions:
            self._rows["terms.csv"]((
                session.term_id, session.school.number, session.title, session.abbreviation,
                _TERM_TYPES[session.kind], us_date(session.first_day), us_date(session.last_day),
                session.year_id, session.parent_term_id or "",
            ))
        for course in zone.courses:
            self._rows["courses.csv"]((
                course.number, course.title, course.school.number,
                ";".join(str(grade) for grade in course.grades), course.subject,
                course.sced_code,
            ))
        for teacher in zone.teachers:
            self._rows["teachers.csv"](cp1252_safe((
                teacher.id, teacher.number, teacher.given_name, teacher.family_name,
                teacher.email, teacher.school.number,
                STATUS_CURRENT if teacher.active else STATUS_INACTIVE, STAFF_TYPE_TEACHER,
                teacher.username,
            )))
        for section in zone.sections:
            self._rows["sections.csv"]((
                section.id, section.school.number, section.course.number, section.number,
                section.term.term_id, expression(section), section.teacher.id, section.room,
            ))

    def add_family(self, family: Family) -> None:
        for guardian in family.guardians:
            self._rows["guardians.csv"](cp1252_safe((
                guardian.contact_id, guardian.given_name, guardian.family_name, guardian.email,
                guardian.phone, guardian.relationship, guardian.school.number,
            )))
        for student in family.children:
            self._write_student(student)

    def close(self) -> list[Path]:
        return self._folder.close()


    def _write_student(self, student: Student) -> None:
        self._rows["students.csv"]((
            student.id, student.number, student.state_number, student.given_name,
            student.middle_name, student.family_name, us_date(student.birth_date), student.sex,
            student.grade, student.school.number,
            ENROLL_ACTIVE if student.active else ENROLL_TRANSFERRED,
            1 if student.hispanic else 0, ";".join(student.races), student.username,
            student.email, student.phone,
            ";".join(str(guardian.contact_id) for guardian in student.guardians),
        ))
        cc = self._rows["cc.csv"]
        for enrollment in (*student.enrollments, *student.dropped):
            section = enrollment.section
            cc((
                enrollment.id, student.id, -section.id if enrollment.dropped else section.id,
                student.school.number, section.term.term_id, us_date(enrollment.first_day),
                us_date(enrollment.left_day),
            ))


def us_date(day: date) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"


def expression(section: Section) -> str:
    """PowerSchool's period(days) notation; year-long classes meet on both A and B days."""
    days = "A-B" if section.term.kind == "year" else "A"
    return f"{section.period}({days})"


def cp1252_safe(values: tuple[object, ...]) -> tuple[object, ...]:
    """Values as a Windows-1252 SIS would store them: letters it lacks lose their accents.

    Windows-1252 has é, ë and ’ but not Vietnamese ễ or Czech ř; such SIS databases hold
    "Nguyen" and "Dvorak", which is what their exports show.
    """
    return tuple(_fold(value) if isinstance(value, str) else value for value in values)


def _fold(text: str) -> str:
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        return "".join(_fold_char(char) for char in text)


def _fold_char(char: str) -> str:
    try:
        char.encode("cp1252")
        return char
    except UnicodeEncodeError:
        pass
    if char in _NO_DECOMPOSITION:
        return _NO_DECOMPOSITION[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and base.isascii() else "?"


# Letters with a stroke have no Unicode decomposition into base + accent.
_NO_DECOMPOSITION = {"Đ": "D", "đ": "d", "Ł": "L", "ł": "l"}
