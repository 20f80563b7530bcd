"""Every official value of the descriptors the import reads, in the elements that carry them,
imports (issue 10, item 2): no row is refused for a value the Data Standard defines; a value
read through a documented stand-in is warned about once; the stored terms are the crosswalk's.

The set is the `fixtures/idref` district with elements added per official value, generated
from the official descriptor files where they are (`../shared/standards`), never copied."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import Engine, select

from adapters.edfi_mapping.descriptors import crosswalk
from adapters.edfi_mapping.to_canonical import canonical_sourced_id
from gateway.model import ROSTER_TABLES
from tests.edfi.test_official_descriptors import official_values
from tests.edfi_xml.conftest import problems, sync_xml

FIXTURE = Path(__file__).parent / "fixtures" / "idref"
SCHOOL = ("<SchoolReference><SchoolIdentity><SchoolId>4700101</SchoolId></SchoolIdentity>"
          "</SchoolReference>")
STUDENT = ("<StudentReference><StudentIdentity><StudentUniqueId>{}</StudentUniqueId>"
           "</StudentIdentity></StudentReference>")
SECTION = ("<SectionReference><SectionIdentity><SectionIdentifier>ALG1-FALL-01"
           "</SectionIdentifier><CourseOfferingReference><CourseOfferingIdentity>"
           f"<LocalCourseCode>ALG-1</LocalCourseCode>{SCHOOL}<SessionReference>"
           "<SessionIdentity><SessionName>2025-2026 Fall Semester</SessionName><SchoolYear>"
           f"2025-2026</SchoolYear>{SCHOOL}</SessionIdentity></SessionReference>"
           "</CourseOfferingIdentity></CourseOfferingReference></SectionIdentity>"
           "</SectionReference>")


def _append(folder: Path, file: str, elements: list[str]) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    root_end = text.rindex("</Interchange")
    path.write_text(text[:root_end] + "\n".join(elements) + "\n" + text[root_end:],
                    encoding="utf-8")


def _with_every_value(folder: Path) -> None:
    """One element (or one repeated child) per official value of each descriptor."""
    grades = "".join(f"<OfferedGradeLevel>{u}</OfferedGradeLevel>"
                     for u in official_values("GradeLevelDescriptor"))
    _append(folder, "EducationOrganization.xml", [
        "<Course><CourseCode>ALL-GRADES</CourseCode><CourseTitle>Every grade</CourseTitle>"
        "<NumberOfParts>1</NumberOfParts><CourseIdentificationCode><IdentificationCode>AG"
        "</IdentificationCode><CourseIdentificationSystem>uri://ed-fi.org/"
        "CourseIdentificationSystemDescriptor#LEA course code</CourseIdentificationSystem>"
        f"</CourseIdentificationCode>{grades}<EducationOrganizationReference>"
        "<EducationOrganizationIdentity><EducationOrganizationId>4700101"
        "</EducationOrganizationId></EducationOrganizationIdentity>"
        "</EducationOrganizationReference></Course>"])
    _append(folder, "EducationOrgCalendar.xml", [
        f"<Session><SessionName>Term {n}</SessionName><SchoolYear>2025-2026</SchoolYear>"
        "<BeginDate>2025-08-18</BeginDate><EndDate>2025-12-19</EndDate>"
        f"<Term>{uri}</Term><TotalInstructionalDays>80</TotalInstructionalDays>{SCHOOL}"
        "</Session>" for n, uri in enumerate(official_values("TermDescriptor"))] + [
        f"<GradingPeriod>{SCHOOL}<GradingPeriod>{uri}</GradingPeriod><GradingPeriodName>"
        f"Period {n}</GradingPeriodName><SchoolYear>2025-2026</SchoolYear><BeginDate>"
        "2025-08-18</BeginDate><EndDate>2025-09-26</EndDate><TotalInstructionalDays>29"
        "</TotalInstructionalDays></GradingPeriod>"
        for n, uri in enumerate(official_values("GradingPeriodDescriptor"))])
    mails = "".join(f"<ElectronicMail><ElectronicMailAddress>t{n}@maplehollow.example"
                    f"</ElectronicMailAddress><ElectronicMailType>{uri}</ElectronicMailType>"
                    "</ElectronicMail>"
                    for n, uri in enumerate(official_values("ElectronicMailTypeDescriptor")))
    staff = [f"<Staff><StaffUniqueId>T9000</StaffUniqueId><Name><FirstName>Every</FirstName>"
             f"<LastSurname>Role</LastSurname></Name>{mails}</Staff>"]
    staff += [
        "<StaffEducationOrganizationAssignmentAssociation><StaffReference><StaffIdentity>"
        "<StaffUniqueId>T9000</StaffUniqueId></StaffIdentity></StaffReference>"
        "<EducationOrganizationReference><EducationOrganizationIdentity>"
        "<EducationOrganizationId>4700101</EducationOrganizationId>"
        "</EducationOrganizationIdentity></EducationOrganizationReference>"
        f"<StaffClassification>{uri}</StaffClassification><BeginDate>2025-08-11</BeginDate>"
        "</StaffEducationOrganizationAssignmentAssociation>"
        for uri in official_values("StaffClassificationDescriptor")]
    staff += [
        "<StaffSectionAssociation><StaffReference><StaffIdentity><StaffUniqueId>T9000"
        f"</StaffUniqueId></StaffIdentity></StaffReference>{SECTION}"
        f"<ClassroomPosition>{uri}</ClassroomPosition><BeginDate>2025-08-{18 + n}"
        "</BeginDate></StaffSectionAssociation>"
        for n, uri in enumerate(official_values("ClassroomPositionDescriptor"))]
    _append(folder, "StaffAssociation.xml", staff)
    sexes = official_values("SexDescriptor")
    _append(folder, "Student.xml", [
        f"<Student><StudentUniqueId>90{n}</StudentUniqueId><Name><FirstName>S{n}</FirstName>"
        "<LastSurname>Every</LastSurname></Name><BirthData><BirthDate>2011-01-01</BirthDate>"
        "</BirthData></Student>" for n in range(len(sexes))])
    races = "".join(f"<Race>{u}</Race>" for u in official_values("RaceDescriptor"))
    _append(folder, "StudentEnrollment.xml", [
        f"<StudentSchoolAssociation>{STUDENT.format(f'90{n}')}{SCHOOL}<EntryDate>2025-08-18"
        "</EntryDate><EntryGradeLevel>uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"
        "</EntryGradeLevel></StudentSchoolAssociation>"
        f"<StudentEducationOrganizationAssociation>{STUDENT.format(f'90{n}')}"
        "<EducationOrganizationReference><EducationOrganizationIdentity>"
        "<EducationOrganizationId>4700101</EducationOrganizationId>"
        "</EducationOrganizationIdentity></EducationOrganizationReference>"
        f"<Sex>{uri}</Sex>{races if n == 0 else ''}"
        "</StudentEducationOrganizationAssociation>" for n, uri in enumerate(sexes)])
    relations = official_values("RelationDescriptor")
    _append(folder, "Contact.xml", [
        f"<Contact><ContactUniqueId>C9{n:03d}</ContactUniqueId><Name><FirstName>K{n}"
        "</FirstName><LastSurname>Every</LastSurname></Name></Contact>"
        f"<StudentContactAssociation>{STUDENT.format('900')}<ContactReference>"
        f"<ContactIdentity><ContactUniqueId>C9{n:03d}</ContactUniqueId></ContactIdentity>"
        f"</ContactReference><Relation>{uri}</Relation></StudentContactAssociation>"
        for n, uri in enumerate(relations)])
    statuses = official_values("SubmissionStatusDescriptor")
    lateness = official_values("AssignmentLateStatusDescriptor")
    _append(folder, "StudentGradebook.xml", [
        f"<StudentGradebookEntry><GradebookEntryReference ref=\"GBE_ALG1_Q1\"/>"
        f"{STUDENT.format(f'90{n % len(sexes)}') if n < len(sexes) else STUDENT.format(2003)}"
        f"<DateFulfilled>2025-09-12</DateFulfilled><SubmissionStatus>{uri}"
        f"</SubmissionStatus><AssignmentLateStatus>{lateness[n % len(lateness)]}"
        "</AssignmentLateStatus></StudentGradebookEntry>"
        for n, uri in enumerate(statuses)])


def _stored(engine: Engine, family: str) -> list[dict]:
    table = ROSTER_TABLES[family]
    with engine.connect() as conn:
        return [json.loads(d) for d in conn.execute(
            select(table.c.data).where(table.c.status == "active")).scalars()]


def test_every_official_value_imports_and_each_stand_in_is_warned_once(
        engine: Engine, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(FIXTURE, tmp_path / "set"))
    _with_every_value(folder)

    report = sync_xml(engine, folder)

    assert problems(report) == [], problems(report)[:3]
    assert report.state == "applied", report.message
    walk = crosswalk()
    warned = [i.value for i in report.issues if i.level == "warning" and i.value]
    assert len(warned) == len(set(warned))  # once each
    used = ("GradeLevelDescriptor", "TermDescriptor", "StaffClassificationDescriptor",
            "ClassroomPositionDescriptor", "SexDescriptor", "RaceDescriptor",
            "RelationDescriptor", "SubmissionStatusDescriptor")
    stand_ins = {uri for name in used for uri in official_values(name)
                 if walk.find(name, uri).fallback}
    assert stand_ins <= set(warned)
    staff = canonical_sourced_id("staffs", {"staffUniqueId": "T9000"})
    roles = {r["role"] for r in _stored(engine, "roles") if r["user"] == staff}
    assert roles == {walk.to_canonical("StaffClassificationDescriptor", u)
                     for u in official_values("StaffClassificationDescriptor")}
    relations = {r["role"] for r in _stored(engine, "roles") if r.get("student")}
    assert relations == {"parent", "guardian", "relative"}
    [course] = [c for c in _stored(engine, "courses") if c["courseCode"] == "ALL-GRADES"]
    assert course["grades"] == [walk.to_canonical("GradeLevelDescriptor", u)
                                for u in official_values("GradeLevelDescriptor")]
    kinds = {s["type"] for s in _stored(engine, "academicSessions")
             if s["title"].startswith("Term ")}
    assert kinds == {"schoolYear", "semester", "term"}
