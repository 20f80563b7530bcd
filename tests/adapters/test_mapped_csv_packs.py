"""The shipped packs over their sample exports produce the canonical records the packs'
READMEs promise: the PowerSchool-style contract shared with the demo-data writer, and the
denormalised Infinite-Campus-style roster extract."""

from __future__ import annotations

import pytest

from adapters.base import Adapter
from adapters.mapped_csv import MappedCsvAdapter
from adapters.mapped_csv.loader import PACKS_DIR, load_mapping
from adapters.records import DroppedColumn, Event, FamilyMode, Issue, Record
from adapters.registry import load


def read_pack(pack: str, **vars_: str) -> list[Event]:
    adapter = MappedCsvAdapter(path=str(PACKS_DIR / pack / "samples"), mapping=f"pack:{pack}",
                               vars=vars_ or None)
    assert adapter.check() == []
    return list(adapter.read())


def by_id(events: list[Event], family: str) -> dict[str, dict]:
    return {e.sourced_id: e.fields for e in events if isinstance(e, Record) and e.family == family}


@pytest.fixture(scope="module")
def powerschool() -> list[Event]:
    return read_pack("powerschool")


@pytest.fixture(scope="module")
def campus() -> list[Event]:
    return read_pack("infinite_campus", district_id="2752",
                     district_name="Maple Valley Public Schools")


def test_the_adapter_is_registered_under_its_name_and_follows_the_protocol() -> None:
    assert load("mapped-csv") is MappedCsvAdapter
    adapter = MappedCsvAdapter(path=str(PACKS_DIR / "powerschool" / "samples"),
                               mapping="pack:powerschool")
    assert isinstance(adapter, Adapter)
    assert [o.name for o in MappedCsvAdapter.options] == ["path", "mapping", "vars",
                                                              "follow_symlinks"]


# --- PowerSchool --------------------------------------------------------------------------------


def test_powerschool_samples_read_without_errors_and_report_encodings(powerschool) -> None:
    assert [e for e in powerschool if isinstance(e, Issue) and e.level != "warning"] == []
    encodings = {e.file: e.reason for e in powerschool if isinstance(e, Issue)}
    assert encodings["students.csv"] == "students.csv: read as UTF-8 with BOM, comma-separated"
    assert encodings["teachers.csv"] == (
        "teachers.csv: read as cp1252 (Windows-1252), comma-separated"
    )
    assert encodings["guardians.csv"].startswith("guardians.csv: read as cp1252")
    assert encodings["cc.csv"] == "cc.csv: read as UTF-8, comma-separated"


def test_powerschool_families_are_all_bulk(powerschool) -> None:
    modes = [(e.family, e.mode) for e in powerschool if isinstance(e, FamilyMode)]
    assert modes == [(f, "bulk") for f in ("orgs", "academicSessions", "courses", "classes",
                                           "users", "roles", "enrollments", "demographics")]


def test_powerschool_unused_columns_are_listed(powerschool) -> None:
    dropped = {(e.file, e.column) for e in powerschool if isinstance(e, DroppedColumn)}
    assert dropped == {("schools.csv", "Abbreviation"), ("schools.csv", "Low_Grade"),
                       ("schools.csv", "High_Grade"), ("terms.csv", "Abbreviation"),
                       ("cc.csv", "TermID")}


def test_powerschool_district_once_and_schools_under_it(powerschool) -> None:
    assert by_id(powerschool, "orgs") == {
        "ps-dist-310": {"name": "Riverside Unified School District", "type": "district",
                        "identifier": "310"},
        "ps-sch-2": {"name": "Riverside High School", "type": "school",
                     "identifier": "CA-0310-002", "parent": "ps-dist-310"},
        "ps-sch-5": {"name": "Lincoln Elementary School", "type": "school",
                     "identifier": "CA-0310-005", "parent": "ps-dist-310"},
    }


def test_powerschool_terms_keyed_by_school_and_id(powerschool) -> None:
    sessions = by_id(powerschool, "academicSessions")
    assert set(sessions) == {"ps-term-2-3600", "ps-term-2-3601", "ps-term-2-3602",
                             "ps-term-2-3611", "ps-term-5-3600"}
    assert sessions["ps-term-2-3600"] == {
        "title": "2026-2027", "type": "schoolYear", "startDate": "2026-08-17",
        "endDate": "2027-06-11", "schoolYear": "2027",
    }
    assert sessions["ps-term-2-3611"] == {
        "title": "Quarter 1", "type": "gradingPeriod", "startDate": "2026-08-17",
        "endDate": "2026-10-16", "parent": "ps-term-2-3601", "schoolYear": "2027",
    }
    assert sessions["ps-term-2-3601"]["type"] == "semester"


def test_powerschool_courses_and_classes(powerschool) -> None:
    courses = by_id(powerschool, "courses")
    assert courses["ps-crs-5-KRD01"] == {
        "title": "Reading, Phonics and Words", "courseCode": "KRD01", "grades": ["PK", "KG"],
        "subjects": ["Reading"], "subjectCodes": ["51034"], "org": "ps-sch-5",
    }
    assert courses["ps-crs-2-MA101"]["grades"] == ["09", "10"]
    assert by_id(powerschool, "classes")["ps-sec-56"] == {
        "title": "English 9", "classCode": "2", "classType": "scheduled", "location": "204",
        "course": "ps-crs-2-EN109", "school": "ps-sch-2", "terms": ["ps-term-2-3600"],
        "periods": ["3"],
    }


def test_powerschool_teachers_with_their_names_intact(powerschool) -> None:
    users = by_id(powerschool, "users")
    assert users["ps-tch-8"] == {
        "enabledUser": "true", "username": "zobrien", "givenName": "Zoë",
        "familyName": "O’Brien", "identifier": "T1008",
        "email": "zobrien@riverside.example.org", "primaryOrg": "ps-sch-2",
    }
    assert users["ps-tch-11"]["enabledUser"] == "false"
    assert by_id(powerschool, "roles")["ps-role-tch-7"] == {
        "user": "ps-tch-7", "roleType": "primary", "role": "teacher", "org": "ps-sch-2",
    }


def test_powerschool_students_with_guardians_and_demographics(powerschool) -> None:
    users = by_id(powerschool, "users")
    assert users["ps-stu-123"] == {
        "enabledUser": "true", "username": "mgarcia123", "identifier": "200123",
        "userIds": [{"type": "state", "identifier": "9876543210"}], "givenName": "Mateo",
        "middleName": "Luis", "familyName": "García",
        "email": "mgarcia123@students.riverside.example.org", "phone": "555-0142",
        "grades": ["09"], "agents": ["ps-gdn-501", "ps-gdn-502"], "primaryOrg": "ps-sch-2",
    }
    assert users["ps-stu-124"]["enabledUser"] == "false"  # transferred out
    assert "middleName" not in users["ps-stu-124"]
    assert users["ps-stu-125"]["grades"] == ["KG"]
    assert by_id(powerschool, "demographics")["ps-stu-125"] == {
        "birthDate": "2021-09-30", "sex": "other", "americanIndianOrAlaskaNative": "false",
        "asian": "false", "blackOrAfricanAmerican": "true",
        "nativeHawaiianOrOtherPacificIslander": "false", "white": "true",
        "demographicRaceTwoOrMoreRaces": "true", "hispanicOrLatinoEthnicity": "false",
    }
    assert by_id(powerschool, "roles")["ps-role-stu-125"]["org"] == "ps-sch-5"


def test_powerschool_guardians_are_parents_or_guardians(powerschool) -> None:
    roles = by_id(powerschool, "roles")
    assert {k: v["role"] for k, v in roles.items() if k.startswith("ps-role-gdn")} == {
        "ps-role-gdn-501": "parent", "ps-role-gdn-502": "parent",
        "ps-role-gdn-503": "guardian",
    }
    users = by_id(powerschool, "users")
    assert users["ps-gdn-503"]["givenName"] == "Siobhán"
    assert users["ps-gdn-502"]["username"] == "ps-gdn-502"  # no e-mail on file


def test_powerschool_enrollments_skip_dropped_sections(powerschool) -> None:
    enrollments = by_id(powerschool, "enrollments")
    assert sorted(enrollments) == ["ps-cc-901", "ps-cc-902", "ps-cc-903", "ps-cc-905",
                                   "ps-tenr-55", "ps-tenr-56", "ps-tenr-57"]
    assert enrollments["ps-cc-901"] == {
        "class": "ps-sec-55", "school": "ps-sch-2", "user": "ps-stu-123", "role": "student",
        "beginDate": "2026-08-17", "endDate": "2027-01-16",
    }
    assert enrollments["ps-tenr-57"] == {
        "class": "ps-sec-57", "school": "ps-sch-5", "user": "ps-tch-9", "role": "teacher",
        "primary": "true",
    }


def test_powerschool_records_point_at_their_source_rows(powerschool) -> None:
    [record] = [e for e in powerschool if isinstance(e, Record) and e.sourced_id == "ps-cc-905"]
    assert (record.file, record.line) == ("cc.csv", 6)


def test_no_two_entities_share_a_sourced_id(powerschool, campus) -> None:
    for events in (powerschool, campus):
        keys = [(e.family, e.sourced_id) for e in events if isinstance(e, Record)]
        assert len(keys) == len(set(keys))


# --- Infinite Campus --------------------------------------------------------------------------


def test_campus_extract_is_read_as_tab_separated_without_errors(campus) -> None:
    issues = [e for e in campus if isinstance(e, Issue)]
    assert [(i.level, i.reason) for i in issues] == [
        ("warning", "roster_extract.txt: read as UTF-8, tab-separated"),
    ]
    assert [e for e in campus if isinstance(e, DroppedColumn)] == []


def test_campus_entities_repeated_on_rows_appear_once(campus) -> None:
    counts = {f: len(by_id(campus, f)) for f in ("orgs", "academicSessions", "courses",
                                                 "classes", "users", "roles", "demographics",
                                                 "enrollments")}
    assert counts == {"orgs": 3, "academicSessions": 3, "courses": 3, "classes": 3,
                      "users": 6, "roles": 6, "demographics": 3, "enrollments": 8}


def test_campus_district_comes_from_the_source_vars(campus) -> None:
    orgs = by_id(campus, "orgs")
    assert orgs["ic-dist-2752"] == {"name": "Maple Valley Public Schools", "type": "district",
                                    "identifier": "2752"}
    assert orgs["ic-sch-102"] == {"name": "Prairie View Elementary", "type": "school",
                                  "identifier": "0470", "parent": "ic-dist-2752"}


def test_campus_terms_classes_and_courses(campus) -> None:
    assert by_id(campus, "academicSessions")["ic-term-2102-21"] == {
        "title": "Year", "type": "schoolYear", "startDate": "2026-09-02",
        "endDate": "2027-06-04", "schoolYear": "2027",
    }
    assert by_id(campus, "classes")["ic-sec-7001"] == {
        "title": "Biology - 1", "classCode": "SCI210-1", "classType": "scheduled",
        "location": "B214", "course": "ic-crs-6001", "school": "ic-sch-101",
        "terms": ["ic-term-2101-11"], "periods": ["2"],
    }
    assert by_id(campus, "courses")["ic-crs-6101"] == {
        "title": "Kindergarten Core", "courseCode": "KIN100", "subjectCodes": ["51000"],
        "org": "ic-sch-102",
    }


def test_campus_students_teachers_and_demographics(campus) -> None:
    users = by_id(campus, "users")
    assert users["ic-stu-41003"] == {
        "enabledUser": "true", "username": "100453", "identifier": "100453",
        "userIds": [{"type": "state", "identifier": "MN00041003"}], "givenName": "Lucía",
        "middleName": "Sofía", "familyName": "Ramírez", "grades": ["KG"],
        "primaryOrg": "ic-sch-102",
    }
    assert users["ic-stf-5002"] == {
        "enabledUser": "true", "username": "mbell@example.org", "identifier": "E5002",
        "givenName": "Marcus", "familyName": "Bell", "email": "mbell@example.org",
        "primaryOrg": "ic-sch-101",
    }
    demographics = by_id(campus, "demographics")
    assert demographics["ic-stu-41003"]["birthDate"] == "2021-06-18"
    assert demographics["ic-stu-41003"]["hispanicOrLatinoEthnicity"] == "true"
    assert demographics["ic-stu-41002"]["asian"] == "true"
    assert demographics["ic-stu-41002"]["sex"] == "male"


def test_campus_enrollments_use_composite_keys(campus) -> None:
    enrollments = by_id(campus, "enrollments")
    assert enrollments["ic-enr-7002-41002"] == {
        "class": "ic-sec-7002", "school": "ic-sch-101", "user": "ic-stu-41002",
        "role": "student", "beginDate": "2027-01-25", "endDate": "2027-03-12",
    }
    assert sorted(k for k in enrollments if k.startswith("ic-tenr")) == [
        "ic-tenr-7001-5001", "ic-tenr-7002-5002", "ic-tenr-7003-5003",
    ]


def test_pack_readmes_list_every_column_the_pack_reads() -> None:
    for pack in ("powerschool", "infinite_campus"):
        readme = (PACKS_DIR / pack / "README.md").read_text(encoding="utf-8")
        mapping = load_mapping(f"pack:{pack}")
        for alias, spec in mapping.files.items():
            assert spec.name in readme
            for column in mapping.needed_columns(alias):
                assert f"`{column}`" in readme, f"{pack} README misses {spec.name} {column}"
