"""With `xsd_dir` set, each file is validated against Interchange-<Name>.xsd while it is read;
a violation is fatal, names the line, and applies nothing. (The official XSDs are not shipped
here: a small schema of our own stands in for Interchange-EducationOrgCalendar.xsd.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine

from adapters.edfi_xml.adapter import XSD_PROBLEMS_PER_FILE
from tests.badinput.snapshot import store_snapshot
from tests.edfi_xml.conftest import problems, sync_xml

CALENDAR_XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://ed-fi.org/5.2.0"
           xmlns="http://ed-fi.org/5.2.0" elementFormDefault="qualified">
  <xs:element name="InterchangeEducationOrgCalendar">
    <xs:complexType><xs:choice minOccurs="0" maxOccurs="unbounded">
      <xs:any processContents="skip"/>
    </xs:choice></xs:complexType>
  </xs:element>
</xs:schema>
"""
STRICT_XSD = CALENDAR_XSD.replace('<xs:any processContents="skip"/>',
                                  '<xs:element name="Session"><xs:complexType><xs:sequence>'
                                  '<xs:any processContents="skip" maxOccurs="unbounded"/>'
                                  '</xs:sequence></xs:complexType></xs:element>')


def xsd_dir(tmp_path: Path, calendar: str) -> Path:
    folder = tmp_path / "xsd"
    folder.mkdir()
    (folder / "Interchange-EducationOrgCalendar.xsd").write_text(calendar, encoding="utf-8")
    for name in ("EducationOrganization", "MasterSchedule", "StaffAssociation", "Student",
                 "StudentEnrollment", "Contact", "StudentGradebook"):
        (folder / f"Interchange-{name}.xsd").write_text(
            CALENDAR_XSD.replace("InterchangeEducationOrgCalendar", f"Interchange{name}"),
            encoding="utf-8")
    return folder


def test_files_that_fit_their_xsd_import(engine: Engine, demo_xml: Path, tmp_path: Path) -> None:
    report = sync_xml(engine, demo_xml, xsd_dir=str(xsd_dir(tmp_path, CALENDAR_XSD)))
    assert report.state == "applied", report.issues[:3]


def test_an_element_the_xsd_does_not_allow_is_fatal_with_its_line(
    engine: Engine, demo_xml: Path, tmp_path: Path,
) -> None:
    before = store_snapshot(engine)
    report = sync_xml(engine, demo_xml, xsd_dir=str(xsd_dir(tmp_path, STRICT_XSD)))
    found = problems(report)
    lines = (demo_xml / "EducationOrgCalendar.xml").read_text().splitlines()
    periods = [n for n, text in enumerate(lines, start=1) if text.startswith("<GradingPeriod")]
    # every grading period breaks the schema: the first ten are named, each at its own line
    assert [f.line for f in found] == periods[:XSD_PROBLEMS_PER_FILE]
    for fatal in found:
        assert (fatal.level, fatal.file) == ("fatal", "EducationOrgCalendar.xml")
        assert "not valid against the XSD" in fatal.reason and "GradingPeriod" in fatal.reason
    assert store_snapshot(engine) == before


OFFICIAL_XSD = Path(__file__).resolve().parents[2] / ".." / "shared" / "standards" / "edfi" / "xsd"
IDREF_SET = Path(__file__).parent / "fixtures" / "idref"


def test_each_violation_of_the_official_xsd_is_reported_at_the_line_lxml_gives(
    engine: Engine, tmp_path: Path,
) -> None:
    """A long file broken near its top is reported there, not at its last line; each broken
    element at its own line, as lxml validating the whole document names them."""
    if not OFFICIAL_XSD.is_dir():
        pytest.skip(f"the official Ed-Fi XSDs are not at {OFFICIAL_XSD} (../shared/standards)")
    folder = tmp_path / "set"
    shutil.copytree(IDREF_SET, folder)
    calendar = folder / "EducationOrgCalendar.xml"
    text = calendar.read_text(encoding="utf-8")
    text = text.replace("<TotalInstructionalDays>82</TotalInstructionalDays>",
                        "<TotalInstructionalDays>82</TotalInstructionalDays><Bogus/>", 1)
    text = text.replace("<PeriodSequence>2</PeriodSequence>",
                        "<PeriodSequence>second</PeriodSequence>", 1)
    filler = "".join(
        f"\t<Session><SessionName>Filler {n}</SessionName><SchoolYear>2025-2026</SchoolYear>"
        "<BeginDate>2025-08-18</BeginDate><EndDate>2025-12-19</EndDate><Term>"
        "uri://ed-fi.org/TermDescriptor#Fall Semester</Term><TotalInstructionalDays>1"
        "</TotalInstructionalDays><SchoolReference><SchoolIdentity><SchoolId>4700101"
        "</SchoolId></SchoolIdentity></SchoolReference></Session>\n" for n in range(2000))
    top = text.count("\n")  # the broken elements are all above this line
    text = text.replace("</InterchangeEducationOrgCalendar>",
                        filler + "</InterchangeEducationOrgCalendar>")
    calendar.write_text(text, encoding="utf-8")
    schema = etree.XMLSchema(etree.parse(str(OFFICIAL_XSD /
                                             "Interchange-EducationOrgCalendar.xsd")))
    assert not schema.validate(etree.parse(str(calendar)))
    expected = [(e.line, e.message) for e in schema.error_log]

    report = sync_xml(engine, folder, xsd_dir=str(OFFICIAL_XSD))

    found = problems(report)
    assert [(f.line, f.reason) for f in found] == [
        (line, f"not valid against the XSD: {message}") for line, message in expected]
    assert len(found) == 2
    assert all(f.file == "EducationOrgCalendar.xml" and f.line < top for f in found)
    assert report.state == "failed"
