"""Descriptor interchange files: values the crosswalk maps pass silently, in either namespace
spelling; a value it cannot map is named once, up front, before any row using it is rejected."""

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
    return [i.reason for i in report.issues if "crosswalk" in i.reason]


def test_mapped_values_raise_no_warning_in_either_namespace_spelling(
        engine: Engine, xml_copy: Path) -> None:
    _descriptors(xml_copy, ("uri://ed-fi.org/SexDescriptor", "Female"),
                 ("uri://ed-fi.org", "Male"))

    report = sync_xml(engine, xml_copy)

    assert report.state == "applied"
    assert _warnings(report) == []


def test_an_unmapped_value_is_named_once_with_its_uri_and_line(
        engine: Engine, xml_copy: Path) -> None:
    _descriptors(xml_copy, ("uri://ed-fi.org/SexDescriptor", "Female"),
                 ("uri://district.example/SexDescriptor", "Declined"))

    report = sync_xml(engine, xml_copy)

    [warning] = [i for i in report.issues if "crosswalk" in i.reason]
    assert warning.level == "warning"
    assert warning.value == "uri://district.example/SexDescriptor#Declined"
    assert warning.line == 4  # the declaration, the root, then one value a line
    assert warning.field == "/InterchangeDescriptors/SexDescriptor[2]"
