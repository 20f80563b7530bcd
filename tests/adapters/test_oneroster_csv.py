"""The oneroster-csv adapter reads conformant OneRoster 1.1 and 1.2 packages into canonical
records: every file of the binding, zip or folder, bulk or delta."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import canonical
from adapters.base import Adapter, OptionError, resolve_options
from adapters.oneroster_csv import OneRosterCsvAdapter
from adapters.oneroster_csv.file_reader import role_sourced_id
from adapters.oneroster_csv.fixtures import build_package, fixture_path
from adapters.oneroster_csv.layouts import ROLE, ROLE_ORGS, ROW_COLUMNS, V11, V12, layouts
from adapters.records import DroppedColumn, Event, FamilyMode, Issue, Record


def read(path: Path, **options: object) -> list[Event]:
    return list(OneRosterCsvAdapter(path=str(path), **options).read())


def records(events: list[Event], family: str) -> dict[str, Record]:
    return {e.sourced_id: e for e in events if isinstance(e, Record) and e.family == family}


def issues(events: list[Event]) -> list[Issue]:
    return [e for e in events if isinstance(e, Issue)]


def test_the_adapter_satisfies_the_adapter_protocol() -> None:
    adapter = OneRosterCsvAdapter(path=str(fixture_path("v1p2_bulk")))
    assert isinstance(adapter, Adapter)
    assert OneRosterCsvAdapter.name == "oneroster-csv"
    assert {o.name for o in OneRosterCsvAdapter.options} >= {
        "path", "strict", "max_members", "max_total_bytes", "max_ratio", "max_cell_bytes"}


@pytest.mark.parametrize("strict", [True, False])
def test_a_1p2_bulk_package_yields_all_21_families_in_bulk_without_issues(strict: bool) -> None:
    events = read(fixture_path("v1p2_bulk"), strict=strict)
    modes = [e for e in events if isinstance(e, FamilyMode)]
    assert [m.family for m in modes] == list(canonical.ONEROSTER_FAMILIES)
    assert {m.mode for m in modes} == {"bulk"}
    assert issues(events) == []
    for family in canonical.ONEROSTER_FAMILIES:
        assert records(events, family), f"no {family} record"
    assert all(e.status is None and e.date_last_modified is None
               for e in events if isinstance(e, Record))


def test_family_mode_comes_before_the_records_of_its_file() -> None:
    declared: set[str] = set()
    for event in read(fixture_path("v1p2_bulk")):
        if isinstance(event, FamilyMode):
            declared.add(event.family)
        elif isinstance(event, Record):
            assert event.family in declared


def test_every_canonical_field_is_fed_by_a_1p2_column() -> None:
    """Every OneRoster field, that is: fields only Ed-Fi needs have no CSV column."""
    for family, variants in layouts(V12).items():
        fed = {c.field for c in variants[0].columns if c.field and c.name not in ROW_COLUMNS}
        oneroster = {f.name for f in canonical.family(family).fields if f.oneroster}
        assert fed == oneroster, family


def test_columns_map_to_canonical_fields_and_shapes() -> None:
    events = read(fixture_path("v1p2_bulk"))
    student = records(events, "users")["user-s-1"]
    assert student.line == 3 and student.file == "users.csv"
    assert student.fields["preferredFirstName"] == "Jo"
    assert student.fields["preferredLastName"] == "Chen-Park"
    assert student.fields["userIds"] == [{"type": "LDAP", "identifier": "jchen"}]
    assert student.fields["agents"] == ["user-p-1"]
    assert student.fields["primaryOrg"] == "org-school-1"
    teacher = records(events, "users")["user-t-1"]
    assert teacher.fields["userIds"] == [
        {"type": "LDAP", "identifier": "mrivera"}, {"type": "LTI", "identifier": "lti-9f2"}]
    assert "middleName" not in teacher.fields  # blank optional values are omitted
    bio = records(events, "classes")["class-bio-p3"]
    assert bio.fields["terms"] == ["as-2026-s1", "as-2026-gp1"]
    assert bio.fields["title"] == "Biology, Period 3"
    assert bio.fields["course"] == "course-bio" and bio.fields["school"] == "org-school-1"
    scale = records(events, "scoreScales")["ss-letter"]
    assert scale.fields["scoreScaleValue"][0] == {"itemValueLHS": "A", "itemValueRHS": "90"}
    item = records(events, "lineItems")["li-1"]
    assert item.fields["academicSession"] == "as-2026-gp1"
    assert records(events, "resources")["res-1"].fields["roles"] == ["student", "teacher"]


def test_passwords_are_dropped_and_never_reach_a_record() -> None:
    events = read(fixture_path("v1p2_bulk"))
    dropped = [e for e in events if isinstance(e, DroppedColumn) and e.column == "password"]
    assert {d.file for d in dropped} == {"users.csv", "userProfiles.csv"}
    assert all("never stored" in d.reason for d in dropped)
    values = [v for e in events if isinstance(e, Record) for v in e.fields.values()]
    assert "Winter2025!" not in values and "s3cret-pass" not in values


def test_a_1p1_user_becomes_a_user_and_one_role_per_org() -> None:
    events = read(fixture_path("v1p1_bulk"), strict=True)
    student = records(events, "users")["u-200"]
    assert ROLE not in student.fields and ROLE_ORGS not in student.fields
    roles = [r for r in records(events, "roles").values() if r.fields["user"] == "u-200"]
    assert [(r.fields["org"], r.fields["roleType"], r.fields["role"]) for r in roles] == [
        ("org-s1", "primary", "student"), ("org-s2", "secondary", "student")]
    assert roles[0].sourced_id == role_sourced_id("u-200", "org-s1", "student")
    assert roles[0].file == "users.csv" and roles[0].line == 3
    modes = [(m.family, m.file) for m in events if isinstance(m, FamilyMode)]
    assert ("roles", "users.csv") in modes


def test_derived_role_ids_are_the_same_on_every_read() -> None:
    first = set(records(read(fixture_path("v1p1_bulk")), "roles"))
    second = set(records(read(fixture_path("v1p1_bulk")), "roles"))
    assert first == second and len(first) == 6


def test_a_1p1_administrator_becomes_district_or_site_administrator_by_org_type() -> None:
    roles = records(read(fixture_path("v1p1_bulk")), "roles")
    admin = {r.fields["org"]: r.fields["role"] for r in roles.values()
             if r.fields["user"] == "u-400"}
    assert admin == {"org-d": "districtAdministrator", "org-s2": "siteAdministrator"}


def test_a_1p1_grading_period_becomes_the_line_item_academic_session() -> None:
    item = records(read(fixture_path("v1p1_bulk"), strict=True), "lineItems")["li-fractions"]
    assert item.fields["academicSession"] == "gp1-2026"
    assert "gradingPeriod" not in item.fields


def test_a_1p1_package_has_only_the_13_files_of_1p1() -> None:
    assert len(layouts(V11)) == 13 and len(layouts(V12)) == 21


def test_delta_rows_carry_their_status_and_date_last_modified() -> None:
    events = read(fixture_path("v1p2_delta"), strict=True)
    assert issues(events) == []
    modes = {m.family: m.mode for m in events if isinstance(m, FamilyMode)}
    assert modes == {"classes": "delta", "users": "delta", "roles": "delta",
                     "enrollments": "delta"}
    gone = records(events, "enrollments")["enr-3"]
    assert gone.status == "tobedeleted"
    assert gone.date_last_modified == "2025-11-03T14:02:00.000Z"
    assert "status" not in gone.fields and "dateLastModified" not in gone.fields
    assert records(events, "users")["user-s-3"].status == "active"


@pytest.mark.parametrize("base", ["v1p1_bulk", "v1p2_bulk", "v1p2_delta"])
def test_a_zip_reads_exactly_like_the_folder(tmp_path: Path, base: str) -> None:
    archive = build_package(tmp_path / "package", base, as_zip=True)
    assert archive.suffix == ".zip"
    assert read(archive, strict=True) == read(fixture_path(base), strict=True)


def test_line_numbers_are_physical_lines_even_across_quoted_line_breaks(tmp_path: Path) -> None:
    orgs = (
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
        'org-d,,,"Maple Valley\nSchool District",district,,\n'
        "org-1,,,Maple High,school,,org-d\n"
    )
    events = read(build_package(tmp_path / "p", "v1p2_bulk", {"orgs.csv": orgs}))
    found = records(events, "orgs")
    assert found["org-d"].line == 2
    assert found["org-d"].fields["name"] == "Maple Valley\nSchool District"
    assert found["org-1"].line == 4


def test_the_1p2_users_layout_with_resource_sourced_ids_is_accepted(tmp_path: Path) -> None:
    users = (
        "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,"
        "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
        "userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,"
        "preferredFamilyName,primaryOrgSourcedId,pronouns\n"
        'u-1,,,true,ada,,Ada,Byron,,,,,,,,,,"res-1,res-2",Addie,,,org-school-1,\n'
    )
    events = read(build_package(tmp_path / "p", "v1p2_bulk", {"users.csv": users}), strict=True)
    assert [i for i in issues(events) if i.file == "users.csv"] == []
    user = records(events, "users")["u-1"]
    assert user.fields["preferredFirstName"] == "Addie"
    assert user.fields["primaryOrg"] == "org-school-1"
    assert any(isinstance(e, DroppedColumn) and e.column == "resourceSourcedIds" for e in events)


def test_metadata_extension_columns_are_dropped_even_in_strict_mode(tmp_path: Path) -> None:
    orgs = (
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId,"
        "metadata.nces\norg-d,,,District,district,,,0612345\n"
    )
    events = read(build_package(tmp_path / "p", "v1p2_bulk", {"orgs.csv": orgs}), strict=True)
    assert DroppedColumn("orgs.csv", "metadata.nces",
                         "extension column (metadata.*): not part of the canonical model") in events
    assert [i for i in issues(events) if i.file == "orgs.csv"] == []
    assert records(events, "orgs")["org-d"].fields == {"name": "District", "type": "district"}


def test_check_finds_nothing_wrong_with_a_good_package() -> None:
    assert OneRosterCsvAdapter(path=str(fixture_path("v1p2_bulk")), strict=True).check() == []


def test_check_reports_a_missing_path_and_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    missing = OneRosterCsvAdapter(path=str(tmp_path / "nowhere.zip")).check()
    assert len(missing) == 1 and "no such file" in missing[0]
    text = tmp_path / "users.csv"
    text.write_text("sourcedId\n")
    problems = OneRosterCsvAdapter(path=str(text)).check()
    assert len(problems) == 1 and "not a readable zip" in problems[0]


def test_check_requires_a_manifest_only_in_strict_mode(tmp_path: Path) -> None:
    package = build_package(tmp_path / "p", "v1p2_delta", {"manifest.csv": None}, as_zip=True)
    assert "manifest.csv" in OneRosterCsvAdapter(path=str(package), strict=True).check()[0]
    assert OneRosterCsvAdapter(path=str(package)).check() == []


def test_options_are_checked_when_the_adapter_is_built() -> None:
    with pytest.raises(OptionError, match="path"):
        OneRosterCsvAdapter()
    with pytest.raises(OptionError, match="colour"):
        OneRosterCsvAdapter(path="x.zip", colour="blue")
    with pytest.raises(OptionError, match="strict"):
        OneRosterCsvAdapter(path="x.zip", strict="sometimes")
    with pytest.raises(OptionError, match="max_ratio"):
        OneRosterCsvAdapter(path="x.zip", max_ratio=0)


def test_options_resolve_to_sane_defaults() -> None:
    options = resolve_options(OneRosterCsvAdapter, {"path": "x.zip"}, {})
    adapter = OneRosterCsvAdapter(**options)
    assert adapter.strict is False
    assert adapter.limits.max_ratio == 100
    assert adapter.max_cell_bytes == 1024 * 1024
