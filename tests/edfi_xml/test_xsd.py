"""With `xsd_dir` set, each file is validated against Interchange-<Name>.xsd while it is read;
a violation is fatal, names the line, and applies nothing. (The official XSDs are not shipped
here: a small schema of our own stands in for Interchange-EducationOrgCalendar.xsd.)"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

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
    [fatal] = problems(report)
    assert (fatal.level, fatal.file) == ("fatal", "EducationOrgCalendar.xml")
    assert "not valid against the XSD" in fatal.reason and "GradingPeriod" in fatal.reason
    lines = (demo_xml / "EducationOrgCalendar.xml").read_text().splitlines()
    assert "GradingPeriod" in lines[fatal.line - 1]
    assert store_snapshot(engine) == before
