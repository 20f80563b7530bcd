"""The vendor-csv demo follows the PowerSchool-style export contract of the mapping pack."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from typing import Any

from gateway.demo.vendor_csv import cp1252_safe

CONTRACT = {
    "schools.csv": ["School_Number", "Name", "Abbreviation", "Low_Grade", "High_Grade",
                    "SchoolState_ID", "District_Number", "District_Name"],
    "terms.csv": ["ID", "SchoolID", "Name", "Abbreviation", "Term_Type", "FirstDay", "LastDay",
                  "YearID", "Parent_TermID"],
    "courses.csv": ["Course_Number", "Course_Name", "SchoolID", "Grade_Levels", "Subject",
                    "SCED_Code"],
    "teachers.csv": ["ID", "TeacherNumber", "First_Name", "Last_Name", "Email_Addr", "SchoolID",
                     "Status", "Staff_Type", "TeacherLoginID"],
    "students.csv": ["ID", "Student_Number", "State_StudentNumber", "First_Name", "Middle_Name",
                     "Last_Name", "DOB", "Gender", "Grade_Level", "SchoolID", "Enroll_Status",
                     "FedEthnicity", "FedRaceCodes", "Student_Web_ID", "Student_Email",
                     "Home_Phone", "Guardian_ContactIDs"],
    "guardians.csv": ["ContactID", "First_Name", "Last_Name", "Email", "Phone", "Relationship",
                      "SchoolID"],
    "sections.csv": ["ID", "SchoolID", "Course_Number", "Section_Number", "TermID",
                     "Expression", "Teacher", "Room"],
    "cc.csv": ["ID", "StudentID", "SectionID", "SchoolID", "TermID", "DateEnrolled",
               "DateLeft"],
}
ENCODING = {"students.csv": "utf-8-sig", "teachers.csv": "cp1252", "guardians.csv": "cp1252"}
US_DATE = re.compile(r"^(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])/20\d\d$")


def _rows(vendor: Any, name: str) -> list[dict[str, str]]:
    return vendor.table(name, ENCODING.get(name, "utf-8")).rows


def test_files_and_headers_are_those_of_the_contract(vendor: Any, csv_table: Any) -> None:
    assert sorted(p.name for p in vendor.folder.iterdir()) == sorted(CONTRACT)
    for name, header in CONTRACT.items():
        assert csv_table(vendor.folder / name, ENCODING.get(name, "utf-8")).header == header


def test_encodings_and_line_endings_are_those_of_a_windows_sis(vendor: Any) -> None:
    for name in CONTRACT:
        raw = (vendor.folder / name).read_bytes()
        assert raw.count(b"\r\n") == raw.count(b"\n"), f"{name}: not CRLF throughout"
        assert raw.startswith(b"\xef\xbb\xbf") == (name == "students.csv"), name
        if name in ("teachers.csv", "guardians.csv"):
            text = raw.decode("cp1252")
            assert text.encode("cp1252") == raw
            assert not text.isascii(), f"{name} must hold non-ASCII names"
            assert "’" in text or "é" in text or "ë" in text
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                raise AssertionError(f"{name} decodes as UTF-8; it must be Windows-1252")
        else:
            raw.decode("utf-8")


def test_values_are_quoted_only_when_they_need_it(vendor: Any) -> None:
    for name in CONTRACT:
        text = (vendor.folder / name).read_bytes().decode(ENCODING.get(name, "utf-8"))
        for line in text.splitlines():
            fields = next(csv.reader([line]))
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(fields)
            assert out.getvalue() == line, (name, line)


def test_dates_are_us_formatted(vendor: Any) -> None:
    for name, columns in (("terms.csv", ("FirstDay", "LastDay")), ("students.csv", ("DOB",)),
                          ("cc.csv", ("DateEnrolled", "DateLeft"))):
        for row in _rows(vendor, name):
            assert all(US_DATE.match(row[column]) for column in columns), (name, row)


def test_terms_follow_powerschool_ids_per_school(vendor: Any) -> None:
    schools = {s["School_Number"] for s in _rows(vendor, "schools.csv")}
    terms = defaultdict(dict)
    for term in _rows(vendor, "terms.csv"):
        terms[term["SchoolID"]][term["ID"]] = term
    assert set(terms) == schools
    for by_id in terms.values():
        assert sorted(by_id) == ["3600", "3601", "3602", "3611", "3612", "3613", "3614"]
        assert by_id["3600"]["Term_Type"] == "Year" and by_id["3600"]["Parent_TermID"] == ""
        assert {by_id[i]["Parent_TermID"] for i in ("3601", "3602")} == {"3600"}
        assert [by_id[i]["Parent_TermID"] for i in ("3611", "3612", "3613", "3614")] == [
            "3601", "3601", "3602", "3602"
        ]
        assert {t["YearID"] for t in by_id.values()} == {"36"}
        assert Counter(t["Term_Type"] for t in by_id.values()) == {
            "Year": 1, "Semester": 2, "Quarter": 4
        }


def test_schools_repeat_the_district_and_use_powerschool_grades(vendor: Any) -> None:
    schools = _rows(vendor, "schools.csv")
    assert len({(s["District_Number"], s["District_Name"]) for s in schools}) == 1
    spans = {(s["Low_Grade"], s["High_Grade"]) for s in schools}
    assert spans == {("0", "5"), ("6", "8"), ("9", "12")}


def test_sections_and_courses_refer_to_what_exists(vendor: Any) -> None:
    courses = {(c["SchoolID"], c["Course_Number"]) for c in _rows(vendor, "courses.csv")}
    terms = {(t["SchoolID"], t["ID"]) for t in _rows(vendor, "terms.csv")}
    teachers = {t["ID"]: t for t in _rows(vendor, "teachers.csv")}
    for section in _rows(vendor, "sections.csv"):
        assert (section["SchoolID"], section["Course_Number"]) in courses
        assert (section["SchoolID"], section["TermID"]) in terms
        assert teachers[section["Teacher"]]["SchoolID"] == section["SchoolID"]
        assert teachers[section["Teacher"]]["Status"] == "1"
        assert re.fullmatch(r"[1-8]\((A|A-B)\)", section["Expression"])
    grade_levels = [c["Grade_Levels"] for c in _rows(vendor, "courses.csv")]
    assert any(";" in g for g in grade_levels), "some courses span grades"
    for value in grade_levels:
        assert all(-1 <= int(g) <= 12 for g in value.split(";"))
    assert {t["Staff_Type"] for t in teachers.values()} == {"1"}


def test_students_guardians_and_codes_are_consistent(vendor: Any) -> None:
    guardians = {g["ContactID"]: g for g in _rows(vendor, "guardians.csv")}
    students = _rows(vendor, "students.csv")
    assert len(guardians) == len(_rows(vendor, "guardians.csv")), "guardians deduplicated"
    use = Counter()
    for student in students:
        contacts = student["Guardian_ContactIDs"].split(";")
        assert 1 <= len(contacts) <= 2 and all(c in guardians for c in contacts)
        use.update(contacts)
        assert student["Gender"] in ("M", "F", "X")
        assert student["Enroll_Status"] in ("0", "2")
        assert student["FedEthnicity"] in ("0", "1")
        assert set(student["FedRaceCodes"].split(";")) <= set("IABPW")
        assert student["Student_Web_ID"] in student["Student_Email"]
        assert re.fullmatch(r"\d{10}", student["State_StudentNumber"])
    assert max(use.values()) > 1, "siblings share guardians"
    assert {g["Relationship"] for g in guardians.values()} <= {
        "Mother", "Father", "Guardian", "Grandparent"
    }
    transferred = sum(s["Enroll_Status"] == "2" for s in students)
    assert 0 < transferred < 0.05 * len(students)


def test_each_student_has_six_to_eight_current_classes_in_their_school(vendor: Any) -> None:
    students = {s["ID"]: s for s in _rows(vendor, "students.csv")}
    sections = {s["ID"]: s for s in _rows(vendor, "sections.csv")}
    current: Counter[str] = Counter()
    for row in _rows(vendor, "cc.csv"):
        section = sections[row["SectionID"].lstrip("-")]
        assert section["SchoolID"] == row["SchoolID"] == students[row["StudentID"]]["SchoolID"]
        assert row["TermID"] == section["TermID"]
        if not row["SectionID"].startswith("-"):
            current[row["StudentID"]] += 1
    assert set(current) == set(students)
    assert set(current.values()) <= {6, 7, 8}


def test_dropped_enrollments_have_negative_section_ids_but_are_few(vendor: Any) -> None:
    cc = _rows(vendor, "cc.csv")
    dropped = [row for row in cc if int(row["SectionID"]) < 0]
    assert 0 < len(dropped) < 0.01 * len(cc)
    assert len(dropped) == vendor.summary.dropped_enrollments


def test_names_windows_1252_lacks_lose_only_their_accents() -> None:
    assert cp1252_safe(("Nguyễn", "Đặng", "José", "Zoë", "O’Brien", "Łukasz", 7)) == (
        "Nguyen", "Dang", "José", "Zoë", "O’Brien", "Lukasz", 7
    )
