"""Strict mode follows the CSV binding to the letter; lenient mode repairs the common producer
quirks and says so once per file, as a warning."""

from __future__ import annotations

import zipfile
from pathlib import Path

from adapters.csv_text import closest_name
from adapters.oneroster_csv import OneRosterCsvAdapter
from adapters.oneroster_csv.fixtures import build_package, fixture_path
from adapters.records import DroppedColumn, Event, FamilyMode, Issue, Record

ORGS_HEADER = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId"
ENROLLMENTS_HEADER = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
    "primary,beginDate,endDate")


def read(path: Path, strict: bool) -> list[Event]:
    return list(OneRosterCsvAdapter(path=str(path), strict=strict).read())


def about(events: list[Event], file: str, level: str | None = None) -> list[Issue]:
    return [e for e in events if isinstance(e, Issue) and e.file == file
            and (level is None or e.level == level)]


def records(events: list[Event], family: str) -> dict[str, Record]:
    return {e.sourced_id: e for e in events if isinstance(e, Record) and e.family == family}


def enrollments(*rows: str, header: str = ENROLLMENTS_HEADER, end: str = "\n") -> str:
    return header + "\n" + "\n".join(rows) + end


def test_a_utf8_bom_is_ignored_and_noted_only_in_lenient_mode(tmp_path: Path) -> None:
    orgs = "\ufeff" + ORGS_HEADER + "\norg-d,,,District,district,,\n"
    package = build_package(tmp_path / "p", "v1p2_bulk", {"orgs.csv": orgs})
    strict = read(package, strict=True)
    assert about(strict, "orgs.csv") == []
    assert "org-d" in records(strict, "orgs")
    lenient = read(package, strict=False)
    assert [i.reason for i in about(lenient, "orgs.csv")] == ["UTF-8 byte order mark ignored"]
    assert "org-d" in records(lenient, "orgs")


def test_upper_case_booleans_fail_strict_and_are_lowered_once_in_lenient(tmp_path: Path) -> None:
    rows = enrollments(
        "e-1,,,class-alg1-p1,org-school-1,user-t-1,teacher,TRUE,,",
        "e-2,,,class-alg1-p1,org-school-1,user-s-1,student,False,,")
    package = build_package(tmp_path / "p", "v1p2_bulk", {"enrollments.csv": rows})
    strict = read(package, strict=True)
    errors = about(strict, "enrollments.csv", "error")
    assert [(e.line, e.field, e.value) for e in errors] == [(2, "primary", "TRUE"),
                                                            (3, "primary", "False")]
    assert "lower-case" in errors[0].reason
    assert records(strict, "enrollments") == {}
    lenient = read(package, strict=False)
    assert {k: r.fields["primary"] for k, r in records(lenient, "enrollments").items()} == {
        "e-1": "true", "e-2": "false"}
    warnings = about(lenient, "enrollments.csv", "warning")
    assert len(warnings) == 1 and warnings[0].line == 2


def test_vocabulary_case_fails_strict_and_is_corrected_in_lenient(tmp_path: Path) -> None:
    rows = enrollments("e-1,,,class-alg1-p1,org-school-1,user-s-1,Student,,,")
    package = build_package(tmp_path / "p", "v1p2_bulk", {"enrollments.csv": rows})
    [error] = about(read(package, strict=True), "enrollments.csv")
    assert (error.level, error.line, error.field, error.value) == ("error", 2, "role", "Student")
    assert "'student'" in error.reason
    lenient = read(package, strict=False)
    assert records(lenient, "enrollments")["e-1"].fields["role"] == "student"
    assert [i.level for i in about(lenient, "enrollments.csv")] == ["warning"]


def test_unknown_terms_are_left_for_the_sync_engine(tmp_path: Path) -> None:
    rows = enrollments("e-1,,,class-alg1-p1,org-school-1,user-s-1,guest,,,")
    package = build_package(tmp_path / "p", "v1p2_bulk", {"enrollments.csv": rows})
    for strict in (True, False):
        assert records(read(package, strict), "enrollments")["e-1"].fields["role"] == "guest"


def test_file_names_are_exact_in_strict_and_case_folded_in_lenient(tmp_path: Path) -> None:
    base = fixture_path("v1p2_delta")
    package = build_package(tmp_path / "p", "v1p2_delta", {"users.csv": None,
                                                           "roles.csv": None})
    (package / "USERS.CSV").write_bytes((base / "users.csv").read_bytes())
    (package / "roles.CSV").write_bytes((base / "roles.csv").read_bytes())
    strict = read(package, strict=True)
    assert about(strict, "USERS.CSV", "fatal")[0].reason.startswith("file names are case")
    assert records(strict, "users") == {}
    lenient = read(package, strict=False)
    assert set(records(lenient, "users")) == {"user-s-3", "user-s-2"}
    assert records(lenient, "users")["user-s-3"].file == "USERS.CSV"
    assert [i.level for i in about(lenient, "roles.CSV")] == ["warning"]


def test_trailing_commas_fail_strict_and_are_ignored_in_lenient(tmp_path: Path) -> None:
    orgs = ORGS_HEADER + ",\norg-d,,,District,district,,,\norg-1,,,High,school,,org-d,\n"
    package = build_package(tmp_path / "p", "v1p2_bulk", {"orgs.csv": orgs})
    strict = read(package, strict=True)
    assert [i.level for i in about(strict, "orgs.csv")] == ["fatal"]
    assert records(strict, "orgs") == {}
    lenient = read(package, strict=False)
    assert set(records(lenient, "orgs")) == {"org-d", "org-1"}
    assert [i.level for i in about(lenient, "orgs.csv")] == ["warning"]


def test_trailing_commas_on_rows_alone_are_ignored_in_lenient(tmp_path: Path) -> None:
    rows = enrollments("e-1,,,class-alg1-p1,org-school-1,user-s-1,student,,,,",
                       "e-2,,,class-alg1-p1,org-school-1,user-t-1,teacher,,,,")
    package = build_package(tmp_path / "p", "v1p2_bulk", {"enrollments.csv": rows})
    strict = about(read(package, strict=True), "enrollments.csv")
    assert [(i.level, i.line) for i in strict] == [("error", 2), ("error", 3)]
    lenient = read(package, strict=False)
    assert set(records(lenient, "enrollments")) == {"e-1", "e-2"}
    assert len(about(lenient, "enrollments.csv", "warning")) == 1


def test_a_missing_final_newline_still_reads_the_last_row_and_warns(tmp_path: Path) -> None:
    rows = enrollments("e-1,,,class-alg1-p1,org-school-1,user-s-1,student,,,",
                       "e-2,,,class-alg1-p1,org-school-1,user-t-1,teacher,,,", end="")
    package = build_package(tmp_path / "p", "v1p2_bulk", {"enrollments.csv": rows})
    for strict in (True, False):
        events = read(package, strict)
        assert set(records(events, "enrollments")) == {"e-1", "e-2"}
        [warning] = about(events, "enrollments.csv")
        assert warning.level == "warning" and warning.line == 3
        assert "cut short" in warning.reason


def test_header_typos_and_case_are_fatal_in_strict_and_guessed_in_lenient(
    tmp_path: Path,
) -> None:
    header = ("sourceId,status,dataLastModified,classSourcedId,SchoolSourcedId,userSourcedId,"
              "role,primary,beginDate,endDate")
    rows = enrollments("e-1,,,class-alg1-p1,org-school-1,user-s-1,student,,,", header=header)
    package = build_package(tmp_path / "p", "v1p2_bulk", {"enrollments.csv": rows})
    strict = about(read(package, strict=True), "enrollments.csv")
    assert {i.level for i in strict} == {"fatal"}
    assert {i.field for i in strict} >= {"sourcedId", "schoolSourcedId"}
    lenient = read(package, strict=False)
    record = records(lenient, "enrollments")["e-1"]
    assert record.fields["school"] == "org-school-1"
    guesses = {(i.value, i.field) for i in about(lenient, "enrollments.csv", "warning")}
    assert guesses == {("sourceId", "sourcedId"), ("dataLastModified", "dateLastModified"),
                       ("SchoolSourcedId", "schoolSourcedId")}


def test_a_header_guess_must_be_unambiguous() -> None:
    assert closest_name("grade", ["grades", "grader"], 2) is None
    assert closest_name("givenname", ["givenName", "familyName"], 2) == "givenName"
    assert closest_name("prefferedGivenName", ["preferredGivenName", "givenName"], 2) == (
        "preferredGivenName")
    assert closest_name("classroom", ["classCode", "classType"], 2) is None


def test_columns_out_of_order_fail_strict_and_are_mapped_by_name_in_lenient(
    tmp_path: Path,
) -> None:
    header = ("sourcedId,status,dateLastModified,userSourcedId,classSourcedId,schoolSourcedId,"
              "role,primary,beginDate,endDate")
    rows = enrollments("e-1,,,user-s-1,class-alg1-p1,org-school-1,student,,,", header=header)
    package = build_package(tmp_path / "p", "v1p2_bulk", {"enrollments.csv": rows})
    [fatal] = about(read(package, strict=True), "enrollments.csv")
    assert fatal.level == "fatal" and "column 4" in fatal.reason and fatal.line == 1
    lenient = read(package, strict=False)
    fields = records(lenient, "enrollments")["e-1"].fields
    assert (fields["user"], fields["class"]) == ("user-s-1", "class-alg1-p1")
    assert [i.level for i in about(lenient, "enrollments.csv")] == ["warning"]


def test_a_missing_manifest_is_fatal_in_strict_and_inferred_in_lenient(tmp_path: Path) -> None:
    package = build_package(tmp_path / "p", "v1p2_delta", {"manifest.csv": None})
    strict = read(package, strict=True)
    assert [i.level for i in strict if isinstance(i, Issue)] == ["fatal"]
    assert not any(isinstance(e, Record) for e in strict)
    lenient = read(package, strict=False)
    modes = {m.family: m.mode for m in lenient if isinstance(m, FamilyMode)}
    assert modes == {"classes": "delta", "users": "delta", "roles": "delta",
                     "enrollments": "delta"}
    assert records(lenient, "enrollments")["enr-3"].status == "tobedeleted"
    assert all(i.level == "warning" for i in lenient if isinstance(i, Issue))


def test_a_bulk_file_without_manifest_is_inferred_as_bulk(tmp_path: Path) -> None:
    package = build_package(tmp_path / "p", "v1p1_bulk", {"manifest.csv": None})
    events = read(package, strict=False)
    assert {m.mode for m in events if isinstance(m, FamilyMode)} == {"bulk"}
    assert len(records(events, "roles")) == 6  # users.csv was recognised as the 1.1 layout


def test_lower_case_modes_and_version_1p2p1_are_repaired_only_in_lenient(tmp_path: Path) -> None:
    manifest = (fixture_path("v1p2_delta") / "manifest.csv").read_text()
    manifest = manifest.replace("oneroster.version,1.2", "oneroster.version,1.2.1").replace(
        "file.users,delta", "file.users,Delta")
    package = build_package(tmp_path / "p", "v1p2_delta", {"manifest.csv": manifest})
    strict = about(read(package, strict=True), "manifest.csv", "fatal")
    assert {(i.line, i.field) for i in strict} == {(3, "oneroster.version"), (16, "file.users")}
    lenient = read(package, strict=False)
    assert {i.field for i in about(lenient, "manifest.csv")} == {"oneroster.version",
                                                                 "file.users"}
    assert "user-s-3" in records(lenient, "users")


def test_status_case_is_repaired_in_lenient_delta(tmp_path: Path) -> None:
    rows = enrollments("enr-9,Active,2025-11-03T14:01:00.000Z,class-bio-p3,org-school-1,"
                       "user-s-3,student,,,")
    package = build_package(tmp_path / "p", "v1p2_delta", {"enrollments.csv": rows})
    assert about(read(package, strict=True), "enrollments.csv")[0].field == "status"
    assert records(read(package, strict=False), "enrollments")["enr-9"].status == "active"


def test_a_1p1_users_file_under_a_1p2_manifest_is_read_as_1p1_only_in_lenient(
    tmp_path: Path,
) -> None:
    users = (fixture_path("v1p1_bulk") / "users.csv").read_text()
    package = build_package(tmp_path / "p", "v1p2_bulk", {"users.csv": users,
                                                          "roles.csv": None})
    manifest = (package / "manifest.csv").read_text().replace("file.roles,bulk",
                                                              "file.roles,absent")
    (package / "manifest.csv").write_text(manifest)
    assert about(read(package, strict=True), "users.csv", "fatal")
    lenient = read(package, strict=False)
    assert "u-200" in records(lenient, "users") and len(records(lenient, "roles")) == 6
    assert any("OneRoster 1.1" in i.reason for i in about(lenient, "users.csv", "warning"))


def test_an_unknown_column_is_fatal_in_strict_and_dropped_with_a_warning_in_lenient(
    tmp_path: Path,
) -> None:
    orgs = ORGS_HEADER + ",ncesId\norg-d,,,District,district,,,0612345\n"
    package = build_package(tmp_path / "p", "v1p2_bulk", {"orgs.csv": orgs})
    [fatal] = about(read(package, strict=True), "orgs.csv")
    assert (fatal.level, fatal.field, fatal.line) == ("fatal", "ncesId", 1)
    lenient = read(package, strict=False)
    assert [i.level for i in about(lenient, "orgs.csv")] == ["warning"]
    assert any(isinstance(e, DroppedColumn) and e.column == "ncesId" for e in lenient)
    assert "0612345" not in records(lenient, "orgs")["org-d"].fields.values()


def zip_with_folder(tmp_path: Path, extra: dict[str, bytes] | None = None) -> Path:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(fixture_path("v1p2_delta").iterdir()):
            out.write(path, f"export/{path.name}")
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return archive


def test_one_enclosing_folder_is_fatal_in_strict_and_accepted_in_lenient(tmp_path: Path) -> None:
    archive = zip_with_folder(tmp_path)
    [fatal] = read(archive, strict=True)
    assert isinstance(fatal, Issue) and fatal.level == "fatal" and "root" in fatal.reason
    lenient = read(archive, strict=False)
    assert "user-s-3" in records(lenient, "users")
    assert [i.level for i in about(lenient, "export.zip")] == ["warning"]


def test_macos_debris_is_ignored_in_lenient(tmp_path: Path) -> None:
    archive = zip_with_folder(tmp_path, {"__MACOSX/export/._users.csv": b"\x00\x05"})
    events = read(archive, strict=False)
    assert "user-s-3" in records(events, "users")
    assert any("macOS" in i.reason for i in about(events, "export.zip"))


def test_a_stray_file_is_fatal_in_strict_and_ignored_in_lenient(tmp_path: Path) -> None:
    package = build_package(tmp_path / "p", "v1p2_delta", {"readme.txt": "exported nightly"})
    assert [i.level for i in about(read(package, strict=True), "readme.txt")] == ["fatal"]
    lenient = read(package, strict=False)
    assert [i.level for i in about(lenient, "readme.txt")] == ["warning"]
    assert "user-s-3" in records(lenient, "users")


def test_two_files_that_read_as_the_same_name_are_fatal(tmp_path: Path) -> None:
    users = (fixture_path("v1p2_delta") / "users.csv").read_text()
    package = build_package(tmp_path / "p", "v1p2_delta", {"Users.csv": users})
    events = read(package, strict=False)
    assert about(events, "users.csv") == []
    [fatal] = about(events, "Users.csv")
    assert fatal.level == "fatal" and "two files" in fatal.reason


def test_a_1p2_only_file_in_a_1p1_package_is_fatal_in_strict_and_ignored_in_lenient(
    tmp_path: Path,
) -> None:
    roles = (fixture_path("v1p2_bulk") / "roles.csv").read_text()
    package = build_package(tmp_path / "p", "v1p1_bulk", {"roles.csv": roles})
    assert [i.level for i in about(read(package, strict=True), "roles.csv")] == ["fatal"]
    lenient = read(package, strict=False)
    assert [i.level for i in about(lenient, "roles.csv")] == ["warning"]
    assert all(r.file == "users.csv" for r in records(lenient, "roles").values())


def test_a_folder_unpacked_one_level_too_deep_is_read_only_in_lenient(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    build_package(outer / "export", "v1p2_delta")
    [fatal] = read(outer, strict=True)
    assert isinstance(fatal, Issue) and fatal.level == "fatal" and "'export'" in fatal.reason
    lenient = read(outer, strict=False)
    assert "user-s-3" in records(lenient, "users")
    assert [i.level for i in about(lenient, "outer")] == ["warning"]
