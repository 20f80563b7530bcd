"""Small Data Standard 5.0 bodies for write tests: each carries every property DS 5.0 requires
(and no more), with official descriptor values. The full bodies (every property) are in
tests/edfi/fixtures/ds5_full_bodies.json."""

from __future__ import annotations

from typing import Any

ED = "uri://ed-fi.org/"
SCHOOL_ID = 255901107


def descriptor(name: str, code: str) -> str:
    return f"{ED}{name}#{code}"


def school(school_id: int = SCHOOL_ID, name: str = "Grand Bend Middle",
           grade: str = "Eighth grade") -> dict[str, Any]:
    return {"schoolId": school_id, "nameOfInstitution": name,
            "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor":
                                                 descriptor("EducationOrganizationCategory"
                                                            "Descriptor", "School")}],
            "gradeLevels": [{"gradeLevelDescriptor": descriptor("GradeLevelDescriptor", grade)}]}


def student(unique: str = "604822", first: str = "Lisa", last: str = "Woods",
            birth: str = "2012-05-14") -> dict[str, Any]:
    return {"studentUniqueId": unique, "firstName": first, "lastSurname": last,
            "birthDate": birth}


def enrolment(unique: str = "604822", school_id: int = SCHOOL_ID, entry: str = "2026-08-20",
              grade: str = "Eighth grade") -> dict[str, Any]:
    return {"studentReference": {"studentUniqueId": unique},
            "schoolReference": {"schoolId": school_id}, "entryDate": entry,
            "entryGradeLevelDescriptor": descriptor("GradeLevelDescriptor", grade)}


def session(name: str = "Fall 2026", school_id: int = SCHOOL_ID, year: int = 2027,
            begin: str = "2026-08-20", end: str = "2026-12-18",
            term: str = "Fall Semester", days: int = 85) -> dict[str, Any]:
    return {"sessionName": name, "schoolReference": {"schoolId": school_id},
            "schoolYearTypeReference": {"schoolYear": year}, "beginDate": begin,
            "endDate": end, "termDescriptor": descriptor("TermDescriptor", term),
            "totalInstructionalDays": days}


def course(code: str = "MATH8", edorg: int = SCHOOL_ID, title: str = "Math 8") -> dict[str, Any]:
    return {"courseCode": code, "educationOrganizationReference":
            {"educationOrganizationId": edorg}, "courseTitle": title, "numberOfParts": 1,
            "identificationCodes": [{"courseIdentificationSystemDescriptor": descriptor(
                "CourseIdentificationSystemDescriptor", "LEA course code"),
                "identificationCode": code}]}


SCHOOL = school()
STUDENT = student()
ENROLMENT = enrolment()
