"""The descriptor crosswalk is closed over the Data Standard (issue 10, item 2): every value of
the official descriptor files of the descriptors the gateway reads maps to the canonical
vocabulary, exactly or through a documented stand-in that an import warns about. The official
files are read where they are (`../shared/standards/edfi/descriptors/`), never copied here."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from adapters.canonical import ENROLLMENT_ROLES, GRADES, ORG_TYPES, SCORE_STATUS, SEX, USER_ROLES
from adapters.edfi_mapping.descriptors import UnknownDescriptor, crosswalk

OFFICIAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "standards" / "edfi" / \
    "descriptors"
NS = "{http://ed-fi.org/5.2.0}"
_RACE_TERMS = frozenset({"americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
                         "nativeHawaiianOrOtherPacificIslander", "white",
                         "hispanicOrLatinoEthnicity", "none"})
# What each descriptor's canonical terms must be, from the canonical model where it has one.
CANONICAL = {
    "SexDescriptor": SEX,
    "GradeLevelDescriptor": GRADES,
    "RaceDescriptor": _RACE_TERMS,
    "StaffClassificationDescriptor": USER_ROLES,
    "RelationDescriptor": frozenset({"parent", "guardian", "relative"}),
    "ClassroomPositionDescriptor": ENROLLMENT_ROLES | {"teacher-secondary"},
    "EducationOrganizationCategoryDescriptor": ORG_TYPES,
    "SubmissionStatusDescriptor": SCORE_STATUS,
}


def official_values(descriptor: str) -> list[str]:
    """The URIs of one official descriptor file, as an interchange writes them."""
    if not OFFICIAL.is_dir():
        pytest.skip(f"the official Ed-Fi descriptor files are not at {OFFICIAL} "
                    "(../shared/standards)")
    path = OFFICIAL / f"{descriptor}.xml"
    assert path.is_file(), f"no official file for {descriptor}"
    uris = []
    for element in etree.parse(str(path)).getroot():
        code = element.findtext(f"{NS}CodeValue")
        namespace = element.findtext(f"{NS}Namespace")
        uris.append(f"{namespace}#{code}")
    assert uris
    return uris


@pytest.mark.parametrize("descriptor", crosswalk().names)
def test_every_official_value_maps_to_the_canonical_vocabulary(descriptor: str) -> None:
    walk = crosswalk()
    allowed = walk.vocabulary[descriptor]
    for uri in official_values(descriptor):
        reading = walk.read(descriptor, uri)
        assert walk.to_canonical(descriptor, uri) == reading.canonical  # the REST API too
        if allowed is not None:
            assert reading.canonical in allowed, (uri, reading)
        if descriptor in CANONICAL:
            assert reading.canonical in CANONICAL[descriptor], (uri, reading)
        value = walk.find(descriptor, uri)
        assert (reading.note is None) == (value.fallback is None), uri
        if value.fallback:
            assert uri in reading.note and repr(reading.canonical) in reading.note


@pytest.mark.parametrize("descriptor", crosswalk().names)
def test_every_official_value_is_listed_and_served(descriptor: str) -> None:
    """The values a descriptor resource serves (and a writing client may name) include every
    official one, each once."""
    listed = [v.uri.casefold() for v in crosswalk().values[descriptor]]
    assert len(listed) == len(set(listed))
    missing = [u for u in official_values(descriptor) if u.casefold() not in listed]
    assert missing == []


def test_the_values_the_issue_named_read_as_expected() -> None:
    walk = crosswalk()
    assert walk.read("RelationDescriptor",
                     "uri://ed-fi.org/RelationDescriptor#Mother").canonical == "parent"
    assert walk.read("GradingPeriodDescriptor",
                     "uri://ed-fi.org/GradingPeriodDescriptor#First Six Weeks").canonical \
        == "first six weeks"
    adult = walk.read("GradeLevelDescriptor",
                      "uri://ed-fi.org/GradeLevelDescriptor#Adult Education")
    assert adult.canonical == "Other" and "no exact canonical equivalent" in adult.note


def test_a_district_value_is_read_by_its_code_value_or_the_documented_stand_in() -> None:
    walk = crosswalk()
    same_code = walk.read("RelationDescriptor", "uri://district.example/RelationDescriptor#Aunt")
    assert same_code.canonical == "relative" and "district value" in same_code.note
    own = walk.read("StaffClassificationDescriptor",
                    "uri://district.example/StaffClassificationDescriptor#Bus Monitor")
    assert own.canonical == "aide" and "least access" in own.note
    with pytest.raises(UnknownDescriptor):  # strict: what the REST API asks
        walk.to_canonical("StaffClassificationDescriptor",
                          "uri://district.example/StaffClassificationDescriptor#Bus Monitor")


def test_an_edfi_value_no_data_standard_defines_is_never_guessed() -> None:
    with pytest.raises(UnknownDescriptor, match="not a known RelationDescriptor"):
        crosswalk().read("RelationDescriptor", "uri://ed-fi.org/RelationDescriptor#Landlord")


def test_earlier_spellings_are_read_but_the_written_uri_is_the_official_one() -> None:
    walk = crosswalk()
    assert walk.read("RaceDescriptor",
                     "uri://ed-fi.org/RaceDescriptor#Black - African American").canonical \
        == "blackOrAfricanAmerican"
    written = walk.to_uri("RaceDescriptor", "blackOrAfricanAmerican")
    assert written == "uri://ed-fi.org/RaceDescriptor#Black or African American"
    assert written in official_values("RaceDescriptor")
    aliases = {v.uri for v in walk.aliases["RaceDescriptor"]}
    assert not aliases & {v.uri for v in walk.values["RaceDescriptor"]}  # never served
