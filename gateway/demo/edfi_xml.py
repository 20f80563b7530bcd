"""Writes the demo district as Ed-Fi Data Standard 5.2 XML interchange files (a folder).

Each entity is first put in the Ed-Fi JSON shape (the one the REST API and the shared mapping
speak) and then laid out as an element by the same table the `edfi-xml` adapter reads with
(`adapters/edfi_xml/layouts.py`), so the writer and the reader agree by construction. Files are
written element by element through lxml's incremental writer: memory stays flat, and the same
district always gives the same bytes.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from lxml import etree

from adapters.edfi_mapping.descriptors import crosswalk
from adapters.edfi_mapping.school_years import xml_school_year
from adapters.edfi_xml.layouts import (
    INTERCHANGES,
    LAYOUTS,
    REFERENCE_LAYOUTS,
    Many,
    Multi,
    Ref,
    Scalar,
    camel,
)
from gateway.demo.closing import ClosedOnExit
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

NAMESPACE = "http://ed-fi.org/5.2.0"
FILES = ("EducationOrganization", "EducationOrgCalendar", "MasterSchedule", "StaffAssociation",
         "Student", "Contact", "StudentEnrollment", "StudentGradebook")
_SEX = {"M": "male", "F": "female", "X": "other"}
_RACES = {"I": "americanIndianOrAlaskaNative", "A": "asian", "B": "blackOrAfricanAmerican",
          "P": "nativeHawaiianOrOtherPacificIslander", "W": "white"}
_RELATIONS = {"Mother": "parent", "Father": "parent", "Guardian": "guardian",
              "Grandparent": "guardian"}  # as the OneRoster CSV writer says
_QUARTERS = ("first quarter", "second quarter", "third quarter", "fourth quarter")
# The demo's gradebook entries and their types live in the gateway's local namespace (the
# demo's category titles, "Tests" among them, are not Ed-Fi GradebookEntryType code values).
LOCAL = "uri://school-data-gateway.local"
ENTRY_NAMESPACE = f"{LOCAL}/GradebookEntry"


def uri(descriptor: str, canonical: str) -> str:
    found = crosswalk().to_uri(descriptor, canonical)
    if found is None:
        raise ValueError(f"the crosswalk has no {descriptor} for {canonical!r}")
    return found


def grade_uri(grade: int) -> str:
    return uri("GradeLevelDescriptor", {-1: "PK", 0: "KG"}.get(grade, f"{grade:02d}"))


def render(element: str, body: dict[str, Any]) -> etree._Element:
    """An Ed-Fi JSON-shaped body as the interchange element `element`."""
    node = _new(element)
    for part in LAYOUTS[element].parts:
        value = body.get(part.prop)
        if value in (None, "", []):
            continue
        if isinstance(part, Scalar):
            if part.prop == "schoolYearTypeReference":
                value = xml_school_year(value["schoolYear"])
            _leaf(node, part.path, value)
        elif isinstance(part, Ref):
            node.append(_reference(part.element, value))
        elif isinstance(part, Many):
            for item in value:
                holder = _new(part.element)
                node.append(holder)
                _leaf(holder, part.inner, item[part.field]) if part.inner else _text(
                    holder, item[part.field])
        elif isinstance(part, Multi):
            for item in value:
                holder = _new(part.element)
                node.append(holder)
                for field in part.fields:
                    if item.get(field.prop) not in (None, ""):
                        _leaf(holder, field.path, item[field.prop])
    return node


def _new(name: str) -> etree._Element:
    return etree.Element(f"{{{NAMESPACE}}}{name}", nsmap={None: NAMESPACE})


def _text(node: etree._Element, value: Any) -> None:
    node.text = ("true" if value else "false") if isinstance(value, bool) else str(value)


def _leaf(node: etree._Element, path: str, value: Any) -> None:
    for step in path.split("/"):
        found = node.find(f"{{{NAMESPACE}}}{step}")
        if found is None or step == path.rpartition("/")[2]:
            found = etree.SubElement(node, f"{{{NAMESPACE}}}{step}")
        node = found
    _text(node, value)


def _reference(element: str, key: dict[str, Any]) -> etree._Element:
    identity, parts = REFERENCE_LAYOUTS[element]
    node = _new(element)
    holder = etree.SubElement(node, f"{{{NAMESPACE}}}{identity}")
    for part in parts:
        if part in REFERENCE_LAYOUTS:
            holder.append(_reference(part, key))
        elif part == "SchoolYear":
            _leaf(holder, part, xml_school_year(key["schoolYear"]))
        else:
            name = camel(part)  # a descriptor part (`GradingPeriod`) keeps its JSON suffix
            _leaf(holder, part, key[name] if name in key else key[f"{name}Descriptor"])
    return node


class EdfiXmlWriter(ClosedOnExit):
    def __init__(self, out_dir: Path, *, oneroster_version: str = "1.2") -> None:
        self._dir = Path(out_dir)
        self._stack = ExitStack()
        self._files: dict[str, Any] = {}
        self._paths: list[Path] = []
        self._district = 0
        self._year: dict[School, Session] = {}
        self._offered: set[tuple[str, ...]] = set()
        self._period_uri: dict[Session, str] = {}  # grading period -> its descriptor URI

    def begin(self, district: District, categories: tuple[Category, ...]) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            path = self._dir / f"{name}.xml"
            out = self._stack.enter_context(etree.xmlfile(str(path), encoding="utf-8"))
            out.write_declaration()
            self._stack.enter_context(out.element(f"{{{NAMESPACE}}}{INTERCHANGES[name]}",
                                                  nsmap={None: NAMESPACE}))
            self._files[name] = out
            self._paths.append(path)
        self._district = int(district.state_id)
        self._emit("EducationOrganization", "LocalEducationAgency", {
            "localEducationAgencyId": self._district, "nameOfInstitution": district.name,
            "categories": [{"educationOrganizationCategoryDescriptor":
                            uri("EducationOrganizationCategoryDescriptor", "district")}],
            "localEducationAgencyCategoryDescriptor":
                uri("LocalEducationAgencyCategoryDescriptor", "district")})

    def add_zone(self, zone: Zone) -> None:
        for school in zone.schools:
            self._emit("EducationOrganization", "School", {
                "schoolId": int(school.state_id), "nameOfInstitution": school.name,
                "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor":
                                                     uri("EducationOrganizationCategoryDescriptor",
                                                         "school")}],
                "gradeLevels": [{"gradeLevelDescriptor": grade_uri(g)} for g in school.grades],
                "localEducationAgencyReference": {"localEducationAgencyId": self._district}})
        self._write_sessions(zone.sessions)
        for course in zone.courses:
            self._emit("EducationOrganization", "Course", {
                "courseCode": course.number, "courseTitle": course.title, "numberOfParts": 1,
                "educationOrganizationReference": {"educationOrganizationId":
                                                   int(course.school.state_id)},
                "offeredGradeLevels": [{"gradeLevelDescriptor": grade_uri(g)}
                                       for g in course.grades]})
        for teacher in zone.teachers:
            self._write_teacher(teacher)
        self._offered.clear()
        for section in zone.sections:
            self._write_section(section)

    def add_family(self, family: Family) -> None:
        for guardian in family.guardians:
            self._write_guardian(guardian, [c for c in family.children
                                            if guardian in c.guardians])
        for child in family.children:
            self._write_student(child)

    def close(self) -> list[Path]:
        self._stack.close()
        return list(self._paths)

    # -- elements -------------------------------------------------------------------------

    def _emit(self, file: str, element: str, body: dict[str, Any]) -> None:
        self._files[file].write(render(element, body), pretty_print=True)

    def _write_sessions(self, sessions: tuple[Session, ...]) -> None:
        quarters: dict[School, int] = {}
        for session in sessions:
            common = {"schoolReference": {"schoolId": int(session.school.state_id)},
                      "schoolYearTypeReference": {"schoolYear": session.school_year},
                      "beginDate": session.first_day.isoformat(),
                      "endDate": session.last_day.isoformat()}
            if session.kind == "quarter":
                n = quarters.get(session.school, 0)
                quarters[session.school] = n + 1
                self._period_uri[session] = uri("GradingPeriodDescriptor", _QUARTERS[n % 4])
                self._emit("EducationOrgCalendar", "GradingPeriod", {
                    **common, "gradingPeriodName": session.title,
                    "gradingPeriodDescriptor": self._period_uri[session]})
                continue
            if session.kind == "year":
                self._year[session.school] = session
                term = "schoolYear"
            else:
                term = "fall" if session.first_day.month >= 7 else "spring"
            self._emit("EducationOrgCalendar", "Session", {
                **common, "sessionName": session.title,
                "termDescriptor": uri("TermDescriptor", term)})

    def _write_teacher(self, teacher: Teacher) -> None:
        school = int(teacher.school.state_id)
        self._emit("StaffAssociation", "Staff", {
            "staffUniqueId": teacher.number, "firstName": teacher.given_name,
            "lastSurname": teacher.family_name,
            "electronicMails": [{"electronicMailAddress": teacher.email,
                                 "electronicMailTypeDescriptor":
                                     uri("ElectronicMailTypeDescriptor", "staff")}]})
        self._emit("StaffAssociation", "StaffEducationOrganizationAssignmentAssociation", {
            "staffReference": {"staffUniqueId": teacher.number},
            "educationOrganizationReference": {"educationOrganizationId": school},
            "beginDate": self._year[teacher.school].first_day.isoformat(),
            "staffClassificationDescriptor": uri("StaffClassificationDescriptor", "teacher")})

    def _section_key(self, section: Section) -> dict[str, Any]:
        return {"localCourseCode": section.course.number,
                "schoolId": int(section.school.state_id),
                "schoolYear": section.term.school_year, "sessionName": section.term.title,
                # The SIS section id: the demo's class codes repeat within a school and
                # session (one elective, several grades), and a section's key may not.
                "sectionIdentifier": str(section.id)}

    def _write_section(self, section: Section) -> None:
        key = self._section_key(section)
        offered = (key["localCourseCode"], str(key["schoolId"]), key["sessionName"])
        if offered not in self._offered:
            self._offered.add(offered)
            self._emit("MasterSchedule", "CourseOffering", {
                "localCourseCode": section.course.number,
                "localCourseTitle": section.course.title,
                "schoolReference": {"schoolId": key["schoolId"]},
                "sessionReference": key,
                "courseReference": {"courseCode": section.course.number,
                                    "educationOrganizationId": key["schoolId"]}})
        self._emit("MasterSchedule", "Section", {
            "sectionIdentifier": key["sectionIdentifier"],
            "sectionName": f"{section.course.title} - Period {section.period}",
            "courseOfferingReference": key,
            "classPeriods": [{"classPeriodName": str(section.period)}]})
        self._emit("StaffAssociation", "StaffSectionAssociation", {
            "staffReference": {"staffUniqueId": section.teacher.number},
            "sectionReference": key, "beginDate": section.term.first_day.isoformat(),
            "classroomPositionDescriptor": uri("ClassroomPositionDescriptor", "teacher")})
        self._write_gradebook(section, key)

    def _write_gradebook(self, section: Section, key: dict[str, Any]) -> None:
        """The section's line items as gradebook entries; each category is the entry's type
        (categories carry no weight in Ed-Fi); maxPoints is the CSV's resultValueMax."""
        for number, item in enumerate(section.line_items, start=1):
            period = item.grading_period
            self._emit("StudentGradebook", "GradebookEntry", {
                "gradebookEntryIdentifier": f"{section.id}-{number}",
                "namespace": ENTRY_NAMESPACE,
                "sourceSectionIdentifier": key["sectionIdentifier"], "sectionReference": key,
                "dateAssigned": item.assign_date.isoformat(), "title": item.title,
                "description": item.description, "dueDate": item.due_date.isoformat(),
                "gradebookEntryTypeDescriptor":
                    f"{LOCAL}/GradebookEntryTypeDescriptor#{item.category.title}",
                "gradingPeriodReference": {
                    "gradingPeriodDescriptor": self._period_uri[period],
                    "gradingPeriodName": period.title,
                    "schoolId": int(period.school.state_id),
                    "schoolYear": period.school_year},
                "maxPoints": 100})

    def _write_guardian(self, guardian: Guardian, children: list[Student]) -> None:
        unique = str(guardian.contact_id)
        self._emit("Contact", "Contact", {
            "contactUniqueId": unique, "firstName": guardian.given_name,
            "lastSurname": guardian.family_name,
            "electronicMails": [{"electronicMailAddress": guardian.email,
                                 "electronicMailTypeDescriptor":
                                     uri("ElectronicMailTypeDescriptor", "student")}]})
        for child in children:
            self._emit("Contact", "StudentContactAssociation", {
                "studentReference": {"studentUniqueId": child.number},
                "contactReference": {"contactUniqueId": unique},
                "relationDescriptor": uri("RelationDescriptor",
                                          _RELATIONS[guardian.relationship])})

    def _write_student(self, student: Student) -> None:
        self._emit("Student", "Student", {
            "studentUniqueId": student.number, "firstName": student.given_name,
            "middleName": student.middle_name, "lastSurname": student.family_name,
            "birthDate": student.birth_date.isoformat()})
        school = int(student.school.state_id)
        ref = {"studentUniqueId": student.number}
        self._emit("StudentEnrollment", "StudentSchoolAssociation", {
            "studentReference": ref, "schoolReference": {"schoolId": school},
            "entryDate": self._year[student.school].first_day.isoformat(),
            "entryGradeLevelDescriptor": grade_uri(student.grade),
            "exitWithdrawDate": student.transferred_on.isoformat()
            if student.transferred_on else None})
        self._emit("StudentEnrollment", "StudentEducationOrganizationAssociation", {
            "studentReference": ref,
            "educationOrganizationReference": {"educationOrganizationId": school},
            "sexDescriptor": uri("SexDescriptor", _SEX[student.sex]),
            "hispanicLatinoEthnicity": student.hispanic,
            "races": [{"raceDescriptor": uri("RaceDescriptor", _RACES[r])}
                      for r in student.races],
            "electronicMails": [{"electronicMailAddress": student.email,
                                 "electronicMailTypeDescriptor":
                                     uri("ElectronicMailTypeDescriptor", "student")}]})
        for enrollment in student.enrollments:
            self._emit("StudentEnrollment", "StudentSectionAssociation", {
                "studentReference": ref, "sectionReference": self._section_key(
                    enrollment.section),
                "beginDate": enrollment.first_day.isoformat(),
                "endDate": enrollment.left_day.isoformat() if student.transferred_on else None})
