"""The shared canonical <-> Ed-Fi mapping: ids, natural keys, school years, descriptors."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.edfi_mapping import crosswalk, edfi_id, is_edfi_id, sourced_id_for
from adapters.edfi_mapping.derived_keys import education_organization_id, unique_id
from adapters.edfi_mapping.descriptors import UnknownDescriptor
from adapters.edfi_mapping.identity import EDFI_ID_NAMESPACE
from adapters.edfi_mapping.school_years import SchoolYearError, parse_school_year, xml_school_year
from adapters.edfi_mapping.to_canonical import MappingError, deterministic, to_records


def test_a_natural_key_gives_the_same_sourced_id_however_it_is_spelled():
    one = sourced_id_for("students", {"studentUniqueId": "S-100"})
    assert one == sourced_id_for("students", {"studentUniqueId": "  s-100 "})
    assert one != sourced_id_for("staffs", {"staffUniqueId": "S-100"})


def test_an_incomplete_natural_key_is_refused_naming_the_missing_part():
    with pytest.raises(ValueError, match="schoolId"):
        sourced_id_for("schools", {"schoolId": None})


def test_every_row_has_a_32_hex_id_that_differs_per_resource():
    ssa, seoa = edfi_id("studentSchoolAssociations", "r1"), edfi_id(
        "studentEducationOrganizationAssociations", "r1")
    assert is_edfi_id(ssa) and is_edfi_id(seoa) and ssa != seoa
    assert edfi_id("studentSchoolAssociations", "r1") == ssa


@pytest.mark.parametrize(("given", "year"), [(2022, 2022), ("2022", 2022), ("2021-2022", 2022)])
def test_school_years_are_read_in_json_and_xml_spellings(given, year):
    assert parse_school_year(given) == year
    assert xml_school_year(given) == "2021-2022"


@pytest.mark.parametrize("given", ["2021-2023", "22", "1900", True])
def test_a_malformed_school_year_is_refused(given):
    with pytest.raises(SchoolYearError):
        parse_school_year(given)


def test_descriptors_cross_both_ways_and_inputs_are_tolerant():
    walk = crosswalk()
    uri = walk.to_uri("SexDescriptor", "female")
    assert uri == "uri://ed-fi.org/SexDescriptor#Female"
    assert walk.to_canonical("SexDescriptor", "URI://ED-FI.ORG/SexDescriptor#female") == "female"
    assert walk.to_canonical("GradeLevelDescriptor", "Ninth grade") == "09"


def test_an_unknown_descriptor_names_the_known_values():
    with pytest.raises(UnknownDescriptor, match="SexDescriptor#Female"):
        crosswalk().to_canonical("SexDescriptor", "uri://ed-fi.org/SexDescriptor#Mythical")
    with pytest.raises(UnknownDescriptor, match="expected a SexDescriptor"):
        crosswalk().to_canonical("SexDescriptor", "uri://ed-fi.org/RaceDescriptor#Asian")


def test_orgs_without_a_numeric_identifier_get_a_stable_ten_digit_id():
    assert education_organization_id("sch-a", {"identifier": "255901001"}) == 255901001
    derived = education_organization_id("sch-a", {"identifier": "A1"})
    assert derived == education_organization_id("sch-a", {})
    assert len(str(derived)) == 10


def test_unique_ids_prefer_the_district_identifier_and_stay_within_32_characters():
    assert unique_id("u1", {"identifier": "S-1"}) == "S-1"
    assert unique_id("u1", {}) == "u1"
    assert len(unique_id("x" * 40, {})) == 32


def test_an_association_body_maps_to_a_role_with_deterministic_references():
    body = {"studentReference": {"studentUniqueId": "S-1"},
            "schoolReference": {"schoolId": 255901001}, "entryDate": "2026-08-19"}
    (role,) = to_records("studentSchoolAssociations", body, deterministic)
    assert role.family == "roles" and role.fields["role"] == "student"
    assert role.fields["user"] == sourced_id_for("students", {"studentUniqueId": "S-1"})
    assert role.fields["org"] == deterministic("schools", {"schoolId": 255901001})


def test_a_body_naming_an_unknown_descriptor_fails_at_its_json_path():
    body = {"sessionName": "Fall", "schoolReference": {"schoolId": 1},
            "schoolYearTypeReference": {"schoolYear": 2027}, "termDescriptor": "uri://x/T#Y"}
    with pytest.raises(MappingError) as caught:
        to_records("sessions", body, deterministic)
    assert caught.value.path == "$.termDescriptor"


@given(st.sampled_from(["students", "studentSchoolAssociations", "staffs"]), st.text(max_size=60))
def test_edfi_ids_are_the_uuid5_of_resource_and_sourced_id(resource: str, sourced_id: str) -> None:
    """Ids are worked out without the uuid module (sync speed); stored ids from before must
    stay the same, so they must equal what uuid.uuid5 gives."""
    expected = uuid.uuid5(EDFI_ID_NAMESPACE, f"{resource}/{sourced_id}").hex
    assert edfi_id(resource, sourced_id) == expected
