"""Descriptor interchange files: values the crosswalk maps exactly pass silently, in either
namespace spelling; a district's own value is accepted and named once, up front, with what it
is read as; a value that is neither the Data Standard's nor a district's is named as unknown."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.edfi_xml.conftest import sync_xml

NS = "http://ed-fi.org/5.2.0"


def _descriptors(folder: Path, *values: tuple[str, str]) -> None:
    body = "\n".join(
        f"<SexDescriptor><CodeValue>{code}</CodeValue><ShortDescription>{code}"
        f"</ShortDescription><Namespace>{namespace}</Namespace></SexDescriptor>"
        for namespace, code in values)
    (folder / "Descriptors.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<InterchangeDescriptors xmlns="{NS}">\n'
        f"{body}\n</InterchangeDescriptors>\n", encoding="utf-8")


def _warnings(report) -> list[str]:  # noqa: ANN001
    return [i.reason for i in report.issues if i.field and "Descriptor[" in i.field]


def test_mapped_values_raise_no_warning_in_either_namespace_spelling(
        engine: Engine, xml_copy: Path) -> None:
    _descriptors(xml_copy, ("uri://ed-fi.org/SexDescriptor", "Female"),
                 ("uri://ed-fi.org", "Male"))

    report = sync_xml(engine, xml_copy)

    assert report.state == "applied"
    assert _warnings(report) == []


def test_a_district_value_is_accepted_and_named_once_with_its_reading_uri_and_line(
        engine: Engine, xml_copy: Path) -> None:
    _descriptors(xml_copy, ("uri://ed-fi.org/SexDescriptor", "Female"),
                 ("uri://district.example/SexDescriptor", "Declined"))

    report = sync_xml(engine, xml_copy)

    assert report.state == "applied"
    [warning] = [i for i in report.issues if i.value and "Declined" in i.value]
    assert warning.level == "warning"
    assert warning.value == "uri://district.example/SexDescriptor#Declined"
    assert warning.line == 4  # the declaration, the root, then one value a line
    assert warning.field == "/InterchangeDescriptors/SexDescriptor[2]"
    assert "district value: read as 'unspecified'" in warning.reason


def test_an_edfi_value_no_data_standard_defines_is_named_as_unknown(
        engine: Engine, xml_copy: Path) -> None:
    _descriptors(xml_copy, ("uri://ed-fi.org/SexDescriptor", "Mythical"))

    report = sync_xml(engine, xml_copy)

    [warning] = _warnings(report)
    assert "'uri://ed-fi.org/SexDescriptor#Mythical' is not a known SexDescriptor" in warning
