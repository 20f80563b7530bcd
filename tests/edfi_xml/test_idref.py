"""References by `ref=` (XML IDREF) in Ed-Fi interchange sets (issue 10, item 1).

The fixture `fixtures/idref/` is a small district written for these tests. It is valid against
the official Data Standard 5.2 XSDs, and names by `ref=` every reference the adapter reads
whose target is in the same file (the XSDs' IDs are unique per document): school -> district,
course -> school and district, session -> grading periods (further down the file), section ->
course offering, staff assignments -> staff, student enrolments -> a SectionReference declared
at the top of the file, gradebook entry -> such a SectionReference, student score -> gradebook
entry, contact association -> contact (one of them further down the file).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import Engine, select

from adapters.edfi_mapping.identity import sourced_id_for
from adapters.edfi_mapping.to_canonical import canonical_sourced_id
from adapters.edfi_xml import EdfiXmlAdapter
from gateway.config import SourceConfig
from gateway.model import ROSTER_TABLES
from gateway.sync.runner import run_sync
from tests.badinput.snapshot import store_snapshot
from tests.edfi_xml.conftest import problems, sync_xml

FIXTURE = Path(__file__).parent / "fixtures" / "idref"
NS = "http://ed-fi.org/5.2.0"
XSD_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "standards" / "edfi" / "xsd"
TOLERANT = SourceConfig(name="edfi", adapter="edfi-xml", max_error_share=1.0)


def copy_of_fixture(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "set"))


def stored(engine: Engine, family: str) -> dict[str, dict[str, Any]]:
    table = ROSTER_TABLES[family]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.sourced_id, table.c.data)
                            .where(table.c.status == "active")).all()
    return {sid: json.loads(data) for sid, data in rows}


def edorg(number: int) -> str:
    return canonical_sourced_id("schools", {"schoolId": number})


def person(resource: str, unique: str) -> str:
    key = {"students": "studentUniqueId", "staffs": "staffUniqueId",
           "contacts": "contactUniqueId"}[resource]
    return canonical_sourced_id(resource, {key: unique})


FALL = {"schoolId": 4700101, "schoolYear": 2026, "sessionName": "2025-2026 Fall Semester"}
ALG1 = {**FALL, "localCourseCode": "ALG-1", "sectionIdentifier": "ALG1-FALL-01"}


def name_by_ref(folder: Path, file: str, xpath: str, ref: str) -> None:
    """Replaces the identity a reference spells out with a `ref=` to the element `ref`."""
    path = folder / file
    tree = etree.parse(str(path))
    [element] = tree.xpath(xpath, namespaces={"e": NS})
    for child in list(element):
        element.remove(child)
    element.text = None
    element.set("ref", ref)
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


@pytest.fixture
def imported(engine: Engine) -> Engine:
    report = sync_xml(engine, FIXTURE)
    assert report.state == "applied", report.message
    assert problems(report) == []
    return engine


def test_the_fixture_is_valid_against_the_official_xsds_and_imports_validated(
        engine: Engine) -> None:
    if not XSD_DIR.is_dir():
        pytest.skip(f"the official Ed-Fi XSDs are not at {XSD_DIR} (../shared/standards)")
    for path in sorted(FIXTURE.glob("*.xml")):
        document = etree.parse(str(path))
        kind = etree.QName(document.getroot()).localname.removeprefix("Interchange")
        schema = etree.XMLSchema(etree.parse(str(XSD_DIR / f"Interchange-{kind}.xsd")))
        assert schema.validate(document), (path.name, schema.error_log)
        ids = {e.get("id") for e in document.iter() if e.get("id")}
        refs = {e.get("ref") for e in document.iter() if e.get("ref")}
        assert refs <= ids, (path.name, refs - ids)  # IDREFs within the document, as in XSD
    report = sync_xml(engine, FIXTURE, xsd_dir=str(XSD_DIR))
    assert report.state == "applied", report.issues[:3]
    assert problems(report) == []


def test_education_organizations_named_by_ref_are_linked(imported: Engine) -> None:
    orgs = stored(imported, "orgs")
    assert orgs[edorg(4700101)]["parent"] == edorg(4700100)  # School -> LEA by ref
    assert orgs[edorg(4700102)]["parent"] == edorg(4700100)
    courses = stored(imported, "courses")
    algebra = canonical_sourced_id("courses", {"courseCode": "ALG-1",
                                               "educationOrganizationId": 4700101})
    equivalency = canonical_sourced_id("courses", {"courseCode": "HSE-PREP",
                                                   "educationOrganizationId": 4700100})
    assert courses[algebra]["org"] == edorg(4700101)
    assert courses[equivalency]["org"] == edorg(4700100)  # a district's own course, by ref


def test_grading_periods_a_session_names_by_ref_have_that_session_as_parent(
        imported: Engine) -> None:
    sessions = stored(imported, "academicSessions")
    fall = canonical_sourced_id("sessions", FALL)
    for name, descriptor in (("2025-2026 Fall Semester Exam 1", "First Six Weeks"),
                             ("2025-2026 Fall Semester Exam 2", "Second Six Weeks")):
        period = canonical_sourced_id("gradingPeriods", {
            "gradingPeriodDescriptor": f"uri://ed-fi.org/GradingPeriodDescriptor#{descriptor}",
            "gradingPeriodName": name, "schoolId": 4700101, "schoolYear": 2026})
        assert sessions[period]["parent"] == fall
        assert sessions[period]["type"] == "gradingPeriod"
    evening = canonical_sourced_id("sessions", {
        "schoolId": 4700102, "schoolYear": 2026, "sessionName": "2025-2026 Evening Term 1"})
    assert sessions[evening]["type"] == "term"  # TermDescriptor#First Trimester
    by_identity = [s for s in sessions.values() if s.get("parent") == evening]
    assert [s["title"] for s in by_identity] == ["2025-2026 Evening Term 1"]


def test_sections_enrolments_and_gradebooks_named_by_ref_resolve(imported: Engine) -> None:
    section = canonical_sourced_id("sections", ALG1)
    classes = stored(imported, "classes")
    assert classes[section]["terms"] == [canonical_sourced_id("sessions", FALL)]
    assert classes[section]["course"] == canonical_sourced_id(
        "courses", {"courseCode": "ALG-1", "educationOrganizationId": 4700101})
    enrolled = {(e["user"], e["class"], e["role"]) for e in stored(imported,
                                                                  "enrollments").values()}
    assert (person("students", "2001"), section, "student") in enrolled
    assert (person("students", "2002"), section, "student") in enrolled
    assert (person("staffs", "T1001"), section, "teacher") in enrolled
    [item] = stored(imported, "lineItems").values()
    assert item["class"] == section
    results = stored(imported, "results")
    assert {(r["student"], r["score"]) for r in results.values()} == {
        (person("students", "2001"), 18.0), (person("students", "2002"), 15.0)}


def test_staff_and_contacts_named_by_ref_hold_their_roles(imported: Engine) -> None:
    roles = {(r["user"], r["role"], r.get("student")) for r in stored(imported,
                                                                      "roles").values()}
    assert (person("staffs", "T1001"), "teacher", None) in roles
    assert (person("staffs", "T1002"), "teacher", None) in roles
    # named by ref= before the contact appears in the file
    assert (person("contacts", "C3001"), "parent", person("students", "2001")) in roles
    assert (person("contacts", "C3002"), "parent", person("students", "2002")) in roles
    users = stored(imported, "users")
    assert set(users[person("students", "2001")]["agents"]) == {
        person("contacts", "C3001"), person("contacts", "C3002")}


def test_references_by_ref_across_files_give_the_same_rows(
        engine: Engine, imported: Engine, tmp_path: Path) -> None:
    """Outside XSD validation (which keeps IDs per document) a `ref` may name an element of
    another file of the set, even one read later, or one whose own key is named by ref."""
    folder = copy_of_fixture(tmp_path)
    for file, xpath, ref in (
        ("StudentEnrollment.xml", "//e:StudentSchoolAssociation[1]/e:StudentReference",
         "STU_2001"),
        ("StudentEnrollment.xml", "//e:StudentSchoolAssociation[3]/e:SchoolReference",
         "SCH_4700102"),
        ("StudentEnrollment.xml",
         "//e:StudentEducationOrganizationAssociation[3]/e:EducationOrganizationReference",
         "SCH_4700102"),
        ("MasterSchedule.xml", "//e:CourseOffering[1]/e:SchoolReference", "SCH_4700101"),
        ("MasterSchedule.xml", "//e:CourseOffering[1]/e:SessionReference", "SES_101_FALL"),
        ("MasterSchedule.xml", "//e:CourseOffering[1]/e:CourseReference", "CRS_ALG1"),
        ("MasterSchedule.xml", "//e:CourseOffering[2]/e:SessionReference/e:SessionIdentity"
         "/e:SchoolReference", "SCH_4700102"),
        ("MasterSchedule.xml", "//e:Section[1]/e:ClassPeriodReference", "CP_4700101_1"),
        ("StaffAssociation.xml", "//e:StaffSectionAssociation[1]/e:SectionReference",
         "SEC_ALG1_01"),
        ("StaffAssociation.xml", "//e:StaffEducationOrganizationAssignmentAssociation[2]"
         "/e:EducationOrganizationReference", "SCH_4700102"),
        ("StudentGradebook.xml", "//e:GradebookEntry[1]/e:GradingPeriodReference", "GP_101_1"),
        ("StudentGradebook.xml", "//e:StudentGradebookEntry[2]/e:StudentReference",
         "STU_2002"),
        ("Contact.xml", "//e:StudentContactAssociation[1]/e:StudentReference", "STU_2001"),
        ("EducationOrgCalendar.xml", "//e:GradingPeriod[1]/e:SchoolReference", "SCH_4700101"),
        ("EducationOrgCalendar.xml", "//e:Session[1]/e:SchoolReference", "SCH_4700101"),
    ):
        name_by_ref(folder, file, xpath, ref)
    before = store_snapshot(imported)

    report = sync_xml(imported, folder)

    assert problems(report) == []
    assert report.state == "unchanged", report.message  # the very same canonical rows
    assert store_snapshot(imported) == before


def test_a_ref_that_names_no_element_is_a_row_error_with_file_line_path_and_id(
        engine: Engine, tmp_path: Path) -> None:
    folder = copy_of_fixture(tmp_path)
    path = folder / "StaffAssociation.xml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('<StaffReference ref="STF_T1002"/>',
                                 '<StaffReference ref="STF_GONE"/>', 1), encoding="utf-8")
    line = next(n for n, row in enumerate(path.read_text().splitlines(), start=1)
                if "STF_GONE" in row) - 1  # the association's start tag, the line above

    report = run_sync(engine, TOLERANT, EdfiXmlAdapter(path=str(folder)).read(),
                      adapter_name="edfi-xml")

    [error] = [i for i in problems(report) if i.value == "STF_GONE"]
    assert (error.level, error.file, error.line, error.family) == (
        "error", "StaffAssociation.xml", line, "roles")
    assert error.field == ("/InterchangeStaffAssociation/"
                           "StaffEducationOrganizationAssignmentAssociation[2]/StaffReference")
    assert "ref='STF_GONE' names nothing: no element of the interchange set has " \
        "id='STF_GONE'" in error.reason
    assert report.state == "applied"
    roles = {r["user"] for r in stored(engine, "roles").values()}
    assert person("staffs", "T1001") in roles and person("staffs", "T1002") not in roles


def test_a_ref_to_the_wrong_kind_of_element_says_what_it_names(
        engine: Engine, tmp_path: Path) -> None:
    folder = copy_of_fixture(tmp_path)
    name_by_ref(folder, "StaffAssociation.xml",
                "//e:StaffSectionAssociation[2]/e:StaffReference", "STU_2003")

    report = run_sync(engine, TOLERANT, EdfiXmlAdapter(path=str(folder)).read(),
                      adapter_name="edfi-xml")

    [error] = [i for i in problems(report) if i.value == "STU_2003"]
    assert error.field.endswith("/StaffSectionAssociation[2]/StaffReference")
    student_line = next(n for n, row in enumerate(
        (folder / "Student.xml").read_text().splitlines(), start=1) if 'id="STU_2003"' in row)
    assert f"names a Student at Student.xml line {student_line}, not a Staff" in error.reason


def test_a_ref_to_an_element_whose_own_key_cannot_be_read_says_so(
        engine: Engine, tmp_path: Path) -> None:
    folder = copy_of_fixture(tmp_path)
    path = folder / "MasterSchedule.xml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("<SchoolId>4700102</SchoolId>", "<SchoolId>H102</SchoolId>",
                                 1), encoding="utf-8")

    report = run_sync(engine, TOLERANT, EdfiXmlAdapter(path=str(folder)).read(),
                      adapter_name="edfi-xml")

    section = [i for i in problems(report) if i.value == "CO_HSE_EVENING"]
    assert section and section[0].field.endswith("/Section[2]/CourseOfferingReference")
    assert "whose own key cannot be read" in section[0].reason
    assert "must be a whole number" in section[0].reason


def test_the_id_of_a_record_is_never_its_sourced_id(imported: Engine) -> None:
    """An XML id names an element within one file; the canonical sourcedId stays the hash of
    the natural key, so the same record keeps its id whichever way a set names it."""
    assert sourced_id_for("educationOrganizations", {"educationOrganizationId": 4700101}) \
        in stored(imported, "orgs")
    assert all("SCH_" not in sid for sid in stored(imported, "orgs"))
