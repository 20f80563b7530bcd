"""Hostile and broken interchange files (issue 4, section 5): each ends in a precise issue
(file, line, element path, reason) and a store exactly as it was before the run."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.badinput.snapshot import store_snapshot
from tests.edfi_xml.conftest import problems, sync_xml

NS = "http://ed-fi.org/5.2.0"


@pytest.fixture
def synced(engine: Engine, demo_xml: Path) -> dict[str, list[tuple]]:
    """The demo district already imported from its interchange files; the store's picture."""
    assert sync_xml(engine, demo_xml).state == "applied"
    return store_snapshot(engine)


def spoil(folder: Path, file: str, old: str, new: str, count: int = 1) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_an_external_entity_pointing_at_a_local_file_is_refused_unread(
    engine: Engine, synced: dict, xml_copy: Path, tmp_path: Path,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-PASSWORD-42", encoding="utf-8")
    (xml_copy / "Student.xml").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE InterchangeStudent [\n'
        f'  <!ENTITY leak SYSTEM "file://{secret}">\n]>\n'
        f'<InterchangeStudent xmlns="{NS}"><Student><StudentUniqueId>&leak;</StudentUniqueId>'
        f'</Student></InterchangeStudent>\n', encoding="utf-8")
    report = sync_xml(engine, xml_copy)
    [fatal] = problems(report)
    assert (fatal.level, fatal.file, fatal.line) == ("fatal", "Student.xml", 5)  # the root
    assert "entity declarations are refused" in fatal.reason and "leak" in fatal.reason
    assert "TOP-SECRET" not in repr(report.issues) + str(report.message)
    assert "TOP-SECRET" not in repr(store_snapshot(engine))
    assert store_snapshot(engine) == synced


def test_a_billion_laughs_is_refused_before_any_expansion(
    engine: Engine, synced: dict, xml_copy: Path,
) -> None:
    entities = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    (xml_copy / "Contact.xml").write_text(
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "ha">{entities}]>'
        f'<InterchangeContact xmlns="{NS}"><Contact><ContactUniqueId>&l9;</ContactUniqueId>'
        f'</Contact></InterchangeContact>', encoding="utf-8")
    report = sync_xml(engine, xml_copy)
    [fatal] = problems(report)
    assert (fatal.level, fatal.file, fatal.line) == ("fatal", "Contact.xml", 1)
    assert "DOCTYPE declares entities" in fatal.reason
    assert store_snapshot(engine) == synced


def test_an_external_dtd_is_never_fetched_and_is_refused(
    engine: Engine, synced: dict, xml_copy: Path,
) -> None:
    spoil(xml_copy, "EducationOrgCalendar.xml", "<?xml version='1.0' encoding='utf-8'?>\n",
          "<?xml version='1.0' encoding='utf-8'?>\n<!DOCTYPE InterchangeEducationOrgCalendar "
          'SYSTEM "http://127.0.0.1:9/evil.dtd">\n')
    report = sync_xml(engine, xml_copy)
    [fatal] = problems(report)
    assert (fatal.level, fatal.file, fatal.line) == ("fatal", "EducationOrgCalendar.xml", 3)
    assert "external DTD" in fatal.reason and "evil.dtd" in fatal.reason
    assert store_snapshot(engine) == synced


def test_a_foreign_namespace_is_refused(engine: Engine, synced: dict, xml_copy: Path) -> None:
    path = xml_copy / "StaffAssociation.xml"
    path.write_text(path.read_text(encoding="utf-8").replace(NS, "http://example.com/roster"),
                    encoding="utf-8")
    report = sync_xml(engine, xml_copy)
    [fatal] = problems(report)
    assert (fatal.level, fatal.file, fatal.line) == ("fatal", "StaffAssociation.xml", 2)
    assert "'http://example.com/roster'" in fatal.reason and "Ed-Fi" in fatal.reason
    assert store_snapshot(engine) == synced


def test_an_unknown_descriptor_rejects_its_element_naming_path_and_line(
    engine: Engine, synced: dict, xml_copy: Path,
) -> None:
    spoil(xml_copy, "StaffAssociation.xml", "ClassroomPositionDescriptor#Teacher of Record",
          "ClassroomPositionDescriptor#Lunch Monitor")
    report = sync_xml(engine, xml_copy)
    [error] = problems(report)
    assert error.level == "error" and error.file == "StaffAssociation.xml"
    assert error.field == ("/InterchangeStaffAssociation/StaffSectionAssociation[1]"
                           "/ClassroomPosition")
    assert "Lunch Monitor" in error.reason and "not a known ClassroomPositionDescriptor" \
        in error.reason
    line = (xml_copy / "StaffAssociation.xml").read_text().splitlines()
    assert "<StaffSectionAssociation" in line[error.line - 1]
    assert store_snapshot(engine) == synced


def test_a_missing_natural_key_rejects_its_element(
    engine: Engine, synced: dict, xml_copy: Path,
) -> None:
    spoil(xml_copy, "Student.xml", "<StudentUniqueId>", "<StudentUniqueIdentifier>")
    spoil(xml_copy, "Student.xml", "</StudentUniqueId>", "</StudentUniqueIdentifier>")
    report = sync_xml(engine, xml_copy)
    found = problems(report)
    named = [i for i in found if i.file == "Student.xml"]
    assert {(i.level, i.line, i.field, i.family) for i in named} == {
        ("error", 2, "/InterchangeStudent/Student[1]", "users"),
        ("error", 2, "/InterchangeStudent/Student[1]", "demographics")}
    assert all("natural key incomplete: missing studentUniqueId" in i.reason for i in named)
    # the rows about that student now point at no student of this import: rejected too
    knock_on = [i for i in found if i not in named]
    assert len({i.value for i in knock_on}) == 1
    assert all("refers to users" in i.reason for i in knock_on)
    assert store_snapshot(engine) == synced


def test_a_dangling_reference_rejects_the_row_that_makes_it(
    engine: Engine, synced: dict, xml_copy: Path,
) -> None:
    path = xml_copy / "StudentEnrollment.xml"
    text = path.read_text(encoding="utf-8")
    at = text.index("<StudentSectionAssociation")
    end = text.index("</StudentSectionAssociation>", at) + len("</StudentSectionAssociation>")
    stray = text[at:end].replace("<StudentUniqueId>", "<StudentUniqueId>no-such-", 1)
    path.write_text(text[:at] + stray + "\n" + text[at:])  # one more row, naming no one
    report = sync_xml(engine, xml_copy)
    [error] = problems(report)
    assert (error.level, error.file, error.field) == ("error", "StudentEnrollment.xml", "user")
    assert error.line == text[:at].count("\n") + 1 and "refers to users" in error.reason
    assert store_snapshot(engine) == synced


def test_broken_xml_is_refused_with_its_line(engine: Engine, synced: dict,
                                             xml_copy: Path) -> None:
    spoil(xml_copy, "MasterSchedule.xml", "</SectionName>", "</SectionNam>")
    report = sync_xml(engine, xml_copy)
    [fatal] = problems(report)
    assert (fatal.level, fatal.file) == ("fatal", "MasterSchedule.xml")
    assert "not well-formed" in fatal.reason and fatal.line and fatal.line > 1
    assert store_snapshot(engine) == synced


REFUSED = Path(__file__).parent / "fixtures" / "refused"  # several fatal problems at once
OFFICIAL_XSD = Path(__file__).resolve().parents[2] / ".." / "shared" / "standards" / "edfi" / "xsd"


def test_a_set_with_several_fatal_problems_names_every_one_at_its_line(engine: Engine) -> None:
    before = store_snapshot(engine)
    report = sync_xml(engine, REFUSED)
    named = {(i.file, i.line): i.reason for i in problems(report)}
    assert set(named) == {("Student.xml", 5), ("StaffAssociation.xml", 2),
                          ("EducationOrgCalendar.xml", 15)}
    assert named["Student.xml", 5].startswith("DOCTYPE declares entities (school)")
    assert "'http://example.org/not-ed-fi'" in named["StaffAssociation.xml", 2]
    assert named["EducationOrgCalendar.xml", 15].startswith("not well-formed XML")
    assert all(i.level == "fatal" for i in problems(report))
    assert report.state == "failed" and "3 fatal problems" in report.message
    assert store_snapshot(engine) == before


def test_with_the_official_xsds_the_schema_violation_is_named_too(engine: Engine) -> None:
    if not OFFICIAL_XSD.is_dir():
        pytest.skip(f"the official Ed-Fi XSDs are not at {OFFICIAL_XSD} (../shared/standards)")
    report = sync_xml(engine, REFUSED, xsd_dir=str(OFFICIAL_XSD))
    [schema] = [i for i in problems(report) if i.file == "MasterSchedule.xml"]
    assert schema.line == 5 and "CourseOfferingReference': This element is not expected" \
        in schema.reason
    assert len(problems(report)) == 4
