"""Bad input ends in a precise Issue (file, line, field, value, reason), never a traceback; and
a file that cannot be trusted as a whole never declares a mode, so it can never wipe a family."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from adapters.oneroster_csv import OneRosterCsvAdapter
from adapters.oneroster_csv.fixtures import build_package, fixture_path
from adapters.records import Event, FamilyMode, Issue, Record

ENROLLMENTS_HEADER = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
    "primary,beginDate,endDate")
GOOD_ROW = "e-1,,,class-alg1-p1,org-school-1,user-s-1,student,,,"


def read(path: Path, strict: bool = False, **options: object) -> list[Event]:
    return list(OneRosterCsvAdapter(path=str(path), strict=strict, **options).read())


def about(events: list[Event], file: str, level: str | None = None) -> list[Issue]:
    return [e for e in events if isinstance(e, Issue) and e.file == file
            and (level is None or e.level == level)]


def records(events: list[Event], family: str) -> dict[str, Record]:
    return {e.sourced_id: e for e in events if isinstance(e, Record) and e.family == family}


def declared(events: list[Event]) -> set[str]:
    return {e.family for e in events if isinstance(e, FamilyMode)}


def package_with(tmp_path: Path, name: str, content: str | bytes, base: str = "v1p2_bulk",
                 ) -> Path:
    return build_package(tmp_path / "p", base, {name: content})


@pytest.mark.parametrize("strict", [True, False])
def test_a_missing_required_column_is_fatal_and_names_the_column(
    tmp_path: Path, strict: bool,
) -> None:
    header = ENROLLMENTS_HEADER.replace(",userSourcedId", "")
    rows = f"{header}\ne-1,,,class-alg1-p1,org-school-1,student,,,\n"
    events = read(package_with(tmp_path, "enrollments.csv", rows), strict)
    [fatal] = about(events, "enrollments.csv")
    assert (fatal.level, fatal.field, fatal.line) == ("fatal", "userSourcedId", 1)
    assert "userSourcedId" in fatal.reason
    assert "enrollments" not in declared(events) and records(events, "enrollments") == {}


@pytest.mark.parametrize("strict", [True, False])
def test_a_row_with_the_wrong_number_of_cells_is_an_error_for_that_row_only(
    tmp_path: Path, strict: bool,
) -> None:
    rows = f"{ENROLLMENTS_HEADER}\n{GOOD_ROW}\ne-2,,,class-alg1-p1,org-school-1\n"
    events = read(package_with(tmp_path, "enrollments.csv", rows), strict)
    [error] = about(events, "enrollments.csv")
    assert (error.level, error.line) == ("error", 3)
    assert "5 cells" in error.reason and "10" in error.reason
    assert set(records(events, "enrollments")) == {"e-1"}


@pytest.mark.parametrize("strict", [True, False])
def test_a_header_without_data_rows_is_fatal_and_declares_no_mode(
    tmp_path: Path, strict: bool,
) -> None:
    events = read(package_with(tmp_path, "enrollments.csv", ENROLLMENTS_HEADER + "\n\n"),
                  strict)
    [fatal] = about(events, "enrollments.csv")
    assert fatal.level == "fatal" and "no data rows" in fatal.reason
    assert "enrollments" not in declared(events)


def test_an_empty_file_is_fatal(tmp_path: Path) -> None:
    events = read(package_with(tmp_path, "enrollments.csv", ""))
    [fatal] = about(events, "enrollments.csv")
    assert fatal.level == "fatal" and "empty" in fatal.reason


@pytest.mark.parametrize("strict", [True, False])
def test_a_manifest_row_without_a_value_is_fatal(tmp_path: Path, strict: bool) -> None:
    manifest = (fixture_path("v1p2_delta") / "manifest.csv").read_text().replace(
        "file.users,delta", "file.users")
    package = build_package(tmp_path / "p", "v1p2_delta", {"manifest.csv": manifest})
    fatal = about(read(package, strict), "manifest.csv", "fatal")
    assert fatal[0].line == 16 and fatal[0].value == "file.users"
    assert "2 cells" in fatal[0].reason


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("|", "pipe"),
                                                 ("\t", "tab")])
def test_a_wrong_delimiter_is_fatal_and_named(tmp_path: Path, delimiter: str, name: str) -> None:
    text = "\n".join(line.replace(",", delimiter)
                     for line in (ENROLLMENTS_HEADER, GOOD_ROW)) + "\n"
    events = read(package_with(tmp_path, "enrollments.csv", text))
    [fatal] = about(events, "enrollments.csv")
    assert fatal.level == "fatal" and name in fatal.reason
    assert "enrollments" not in declared(events)


@pytest.mark.parametrize("strict", [True, False])
def test_bytes_that_are_not_utf8_reject_their_row_with_line_and_offset(
    tmp_path: Path, strict: bool,
) -> None:
    orgs = (b"sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
            b"org-d,,,District,district,,\n"
            b"org-1,,,Escuela Jos\xe9 Mart\xed,school,,org-d\n"
            b"org-2,,,Lincoln,school,,org-d\n")
    events = read(package_with(tmp_path, "orgs.csv", orgs), strict)
    [error] = about(events, "orgs.csv")
    assert (error.level, error.line, error.value) == ("error", 3, "e9 20 4d 61")
    offset = orgs.index(b"\xe9")
    assert f"byte offset {offset}" in error.reason and "must be UTF-8" in error.reason
    assert set(records(events, "orgs")) == {"org-d", "org-2"}


def test_a_utf16_file_is_fatal_and_says_so(tmp_path: Path) -> None:
    text = f"{ENROLLMENTS_HEADER}\n{GOOD_ROW}\n".encode("utf-16")
    events = read(package_with(tmp_path, "enrollments.csv", text))
    [fatal] = about(events, "enrollments.csv")
    assert fatal.level == "fatal" and fatal.line == 1 and "UTF-16" in fatal.reason


def test_a_cell_over_the_size_limit_rejects_its_row(tmp_path: Path) -> None:
    rows = f'{ENROLLMENTS_HEADER}\ne-1,,,{"c" * 1500},org-school-1,user-s-1,student,,,\n' + (
        "e-2,,,class-alg1-p1,org-school-1,user-t-1,teacher,,,\n")
    events = read(package_with(tmp_path, "enrollments.csv", rows), max_cell_bytes=1000)
    [error] = about(events, "enrollments.csv")
    assert (error.level, error.line) == ("error", 2) and "1000 bytes" in error.reason
    assert set(records(events, "enrollments")) == {"e-2"}


def test_cells_above_the_csv_module_default_limit_are_read_within_our_own(
    tmp_path: Path,
) -> None:
    long_name = "N" * 200_000  # above csv's 128 KiB default, below our 1 MiB default
    orgs = ("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
            f"org-d,,,{long_name},district,,\n")
    events = read(package_with(tmp_path, "orgs.csv", orgs))
    assert records(events, "orgs")["org-d"].fields["name"] == long_name


def test_a_line_far_over_the_limit_is_skipped_without_being_held_in_memory(
    tmp_path: Path,
) -> None:
    rows = f"{ENROLLMENTS_HEADER}\n{'x' * 50_000}\n{GOOD_ROW}\n"
    events = read(package_with(tmp_path, "enrollments.csv", rows), max_cell_bytes=1000)
    [error] = about(events, "enrollments.csv")
    assert (error.level, error.line) == ("error", 2) and "longer than" in error.reason
    assert set(records(events, "enrollments")) == {"e-1"}


@pytest.mark.parametrize("strict", [True, False])
def test_a_file_the_manifest_declares_but_the_package_lacks_is_fatal(
    tmp_path: Path, strict: bool,
) -> None:
    events = read(build_package(tmp_path / "p", "v1p2_delta", {"users.csv": None}), strict)
    [fatal] = about(events, "manifest.csv", "fatal")
    assert (fatal.field, fatal.value) == ("file.users", "delta")
    assert "users.csv" in fatal.reason
    assert "users" not in declared(events)


def test_a_file_the_manifest_calls_absent_is_refused_or_ignored(tmp_path: Path) -> None:
    manifest = (fixture_path("v1p2_delta") / "manifest.csv").read_text().replace(
        "file.users,delta", "file.users,absent")
    package = build_package(tmp_path / "p", "v1p2_delta", {"manifest.csv": manifest})
    strict = read(package, strict=True)
    assert [i.level for i in about(strict, "users.csv")] == ["fatal"]
    lenient = read(package, strict=False)
    assert [i.level for i in about(lenient, "users.csv")] == ["warning"]
    assert "users" not in declared(lenient)


def test_a_manifest_without_a_file_entry_is_fatal_in_strict(tmp_path: Path) -> None:
    manifest = (fixture_path("v1p2_delta") / "manifest.csv").read_text().replace(
        "file.orgs,absent\n", "")
    package = build_package(tmp_path / "p", "v1p2_delta", {"manifest.csv": manifest})
    [fatal] = about(read(package, strict=True), "manifest.csv")
    assert (fatal.level, fatal.field) == ("fatal", "file.orgs")
    assert about(read(package, strict=False), "manifest.csv") == []


@pytest.mark.parametrize("strict", [True, False])
def test_a_blank_required_value_is_an_error_naming_the_field(
    tmp_path: Path, strict: bool,
) -> None:
    rows = f"{ENROLLMENTS_HEADER}\ne-1,,,class-alg1-p1,org-school-1,user-s-1,,,,\n{GOOD_ROW}\n"
    rows = rows.replace(GOOD_ROW, GOOD_ROW.replace("e-1", "e-2"))
    events = read(package_with(tmp_path, "enrollments.csv", rows), strict)
    [error] = about(events, "enrollments.csv")
    assert (error.level, error.line, error.field, error.sourced_id) == (
        "error", 2, "role", "e-1")
    assert set(records(events, "enrollments")) == {"e-2"}


def test_bulk_rows_must_leave_status_empty_in_strict(tmp_path: Path) -> None:
    rows = f"{ENROLLMENTS_HEADER}\n" + GOOD_ROW.replace(",,,class", ",active,,class") + "\n"
    package = package_with(tmp_path, "enrollments.csv", rows)
    [error] = about(read(package, strict=True), "enrollments.csv")
    assert (error.level, error.field, error.value) == ("error", "status", "active")
    lenient = read(package, strict=False)
    assert records(lenient, "enrollments")["e-1"].status is None
    assert [i.level for i in about(lenient, "enrollments.csv")] == ["warning"]


@pytest.mark.parametrize("strict", [True, False])
def test_a_bulk_row_cannot_delete(tmp_path: Path, strict: bool) -> None:
    rows = f"{ENROLLMENTS_HEADER}\n" + GOOD_ROW.replace(",,,class", ",tobedeleted,,class") + "\n"
    events = read(package_with(tmp_path, "enrollments.csv", rows), strict)
    [error] = about(events, "enrollments.csv")
    assert (error.level, error.value) == ("error", "tobedeleted")


@pytest.mark.parametrize("strict", [True, False])
def test_delta_rows_must_give_status_and_date(tmp_path: Path, strict: bool) -> None:
    rows = (f"{ENROLLMENTS_HEADER}\n"
            "enr-9,,2025-11-03T14:01:00.000Z,class-bio-p3,org-school-1,user-s-3,student,,,\n"
            "enr-8,active,,class-bio-p3,org-school-1,user-s-3,student,,,\n")
    events = read(package_with(tmp_path, "enrollments.csv", rows, "v1p2_delta"), strict)
    errors = about(events, "enrollments.csv")
    assert [(e.level, e.line, e.field) for e in errors] == [
        ("error", 2, "status"), ("error", 3, "dateLastModified")]
    assert records(events, "enrollments") == {}


def test_a_delta_file_without_status_column_is_fatal(tmp_path: Path) -> None:
    header = ENROLLMENTS_HEADER.replace("status,", "")
    rows = f"{header}\nenr-9,2025-11-03,class-bio-p3,org-school-1,user-s-3,student,,,\n"
    events = read(package_with(tmp_path, "enrollments.csv", rows, "v1p2_delta"))
    [fatal] = about(events, "enrollments.csv")
    assert (fatal.level, fatal.field) == ("fatal", "status")


def test_user_ids_not_in_type_identifier_form_are_an_error(tmp_path: Path) -> None:
    users = (fixture_path("v1p2_bulk") / "users.csv").read_text().replace(
        "{LDAP:jchen}", "jchen-ldap")
    events = read(package_with(tmp_path, "users.csv", users))
    [error] = about(events, "users.csv")
    assert (error.level, error.line, error.field, error.value) == (
        "error", 3, "userIds", "jchen-ldap")
    assert "user-s-1" not in records(events, "users")


def test_a_blank_sourced_id_is_an_error(tmp_path: Path) -> None:
    rows = f"{ENROLLMENTS_HEADER}\n" + GOOD_ROW.replace("e-1", "") + "\n"
    [error] = about(read(package_with(tmp_path, "enrollments.csv", rows)), "enrollments.csv")
    assert (error.level, error.line, error.field) == ("error", 2, "sourcedId")


def test_duplicate_sourced_ids_are_passed_on_for_the_engine_to_judge(tmp_path: Path) -> None:
    rows = f"{ENROLLMENTS_HEADER}\n{GOOD_ROW}\n{GOOD_ROW}\n"
    events = read(package_with(tmp_path, "enrollments.csv", rows))
    lines = [e.line for e in events if isinstance(e, Record) and e.family == "enrollments"]
    assert lines == [2, 3]


def test_a_hostile_zip_is_one_fatal_issue(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("manifest.csv", "propertyName,value\n")
        out.writestr("../users.csv", "sourcedId\n")
    [fatal] = read(archive)
    assert isinstance(fatal, Issue) and fatal.level == "fatal" and fatal.file == "evil.zip"
    assert "'../users.csv'" in fatal.reason


def test_a_zip_declaring_more_than_the_size_limit_is_refused_before_any_record(
    tmp_path: Path,
) -> None:
    rows = ENROLLMENTS_HEADER + "\n" + "".join(
        f"e-{n},,,class-alg1-p1,org-school-1,user-s-1,student,,,\n" for n in range(3000))
    archive = build_package(tmp_path / "p", "v1p2_bulk", {"enrollments.csv": rows},
                            as_zip=True)
    [fatal] = read(archive, max_total_bytes=150_000)
    assert isinstance(fatal, Issue) and fatal.level == "fatal" and fatal.file == "p.zip"
    assert "150000" in fatal.reason


def test_a_missing_path_is_a_fatal_issue_not_an_exception(tmp_path: Path) -> None:
    [fatal] = read(tmp_path / "missing.zip")
    assert isinstance(fatal, Issue) and fatal.level == "fatal"
    assert "no such file" in fatal.reason
