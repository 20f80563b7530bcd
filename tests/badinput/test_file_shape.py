"""Files that are wrong as a whole or as bytes: empty, wrongly delimited, mixed encodings,
oversized cells. Through the real adapters and the sync engine; the store must not move."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from adapters.oneroster_csv.fixtures import build_package, fixture_path
from tests.badinput.conftest import District, problems, sync_oneroster, sync_vendor
from tests.badinput.snapshot import store_snapshot

MiB = 1024 * 1024
ORGS = (fixture_path("v1p2_bulk") / "orgs.csv").read_text()
ENROLLMENTS = (fixture_path("v1p2_bulk") / "enrollments.csv").read_text()


def test_an_empty_file_stops_the_run(district: District) -> None:
    report = sync_oneroster(district.engine, district.package({"enrollments.csv": ""}))
    [fatal] = problems(report)
    assert (fatal.level, fatal.file, fatal.line) == ("fatal", "enrollments.csv", 1)
    assert "empty" in fatal.reason
    assert report.state == "failed" and district.unchanged()


def test_a_header_without_rows_cannot_empty_a_family(district: District) -> None:
    header = ENROLLMENTS.splitlines()[0] + "\n"
    report = sync_oneroster(district.engine, district.package({"enrollments.csv": header}))
    [fatal] = problems(report)
    assert (fatal.level, fatal.file) == ("fatal", "enrollments.csv")
    assert "no data rows" in fatal.reason
    assert district.unchanged()


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"),
                                                 ("|", "pipe")])
def test_a_wrong_delimiter_stops_the_run_and_names_the_delimiter(
    district: District, delimiter: str, name: str,
) -> None:
    text = ENROLLMENTS.replace(",", delimiter)
    report = sync_oneroster(district.engine, district.package({"enrollments.csv": text}))
    [fatal] = problems(report)
    assert (fatal.level, fatal.file, fatal.line) == ("fatal", "enrollments.csv", 1)
    assert name in fatal.reason and "comma" in fatal.reason
    assert fatal.value == ENROLLMENTS.splitlines()[0].replace(",", delimiter)
    assert district.unchanged()


def test_a_cp1252_row_in_a_utf8_file_is_rejected_at_its_line_and_byte(
    district: District,
) -> None:
    """Mixed encodings: the file is UTF-8 (it has a UTF-8 name) except one Windows-1252 row."""
    orgs = ORGS.replace("Maple Valley High School", "Escuela Secundaria Año").encode()
    orgs = orgs.replace(b"Cedar Middle School", "Cédar Middle School".encode("cp1252"))
    report = sync_oneroster(district.engine, district.package({"orgs.csv": orgs}))
    [error] = problems(report)
    assert (error.level, error.file, error.line) == ("error", "orgs.csv", 4)
    offset = orgs.index("é".encode("cp1252"))
    assert f"byte offset {offset}" in error.reason
    assert "UTF-8" in error.reason and error.value.startswith("e9")
    assert report.state == "refused" and district.unchanged()


def test_a_utf16_file_in_a_utf8_package_stops_the_run(district: District) -> None:
    report = sync_oneroster(district.engine,
                            district.package({"orgs.csv": ORGS.encode("utf-16")}))
    [fatal] = problems(report)
    assert (fatal.level, fatal.file, fatal.line) == ("fatal", "orgs.csv", 1)
    assert "UTF-16" in fatal.reason
    assert district.unchanged()


def test_a_cell_over_one_mebibyte_rejects_its_row(district: District) -> None:
    huge = "C" * (MiB + 1)
    report = sync_oneroster(district.engine, district.package(
        {"orgs.csv": ORGS.replace("Cedar Middle School", huge)}))
    [error] = problems(report)
    assert (error.level, error.file, error.line) == ("error", "orgs.csv", 4)
    assert f"{MiB + 1} bytes" in error.reason and f"limit of {MiB} bytes" in error.reason
    assert report.state == "refused" and district.unchanged()


def test_an_oversized_cell_is_reported_under_its_column_name(district: District) -> None:
    report = sync_oneroster(district.engine, district.package(
        {"orgs.csv": ORGS.replace("Cedar Middle School", "C" * (MiB + 1))}))
    [error] = problems(report)
    assert (error.field, error.sourced_id) == ("name", "org-school-2")


def test_a_row_rejected_before_its_id_is_read_keeps_its_stored_version(
    engine: Engine, tmp_path: Path,
) -> None:
    """A district large enough that one bad row stays under the 1% error and 10% delete
    limits, as in real exports: the good rows apply and the bad row's record must survive."""
    more = "".join(f"enr-x{n},,,class-bio-p3,org-school-1,user-s-2,student,false,,\n"
                   for n in range(200))
    first = build_package(tmp_path / "first", "v1p2_bulk", {"enrollments.csv": ENROLLMENTS + more})
    assert sync_oneroster(engine, first).state == "applied"
    before = store_snapshot(engine)
    huge = "c" * (MiB + 1)
    bad = build_package(tmp_path / "bad", "v1p2_bulk", {"enrollments.csv": (
        ENROLLMENTS + more).replace("enr-x7,,,class-bio-p3", f"enr-x7,,,{huge}")})
    report = sync_oneroster(engine, bad)
    [error] = problems(report)
    assert (error.file, error.line) == ("enrollments.csv", 12)
    assert report.counts["enrollments"].deleted == 0
    assert store_snapshot(engine) == before


# --- a vendor export through the mapped-csv adapter ----------------------------------------------


def export_with(district: District, export: Path, name: str,
                change: Callable[[bytes], bytes]) -> Path:
    folder = district.work / "changed"
    shutil.copytree(export, folder)
    path = folder / name
    path.write_bytes(change(path.read_bytes()))
    return folder


def test_a_vendor_file_missing_a_mapped_column_stops_the_run(
    vendor_district: District, vendor_export: Path,
) -> None:
    folder = export_with(vendor_district, vendor_export, "students.csv",
                         lambda data: data.replace(b"Last_Name", b"Surname"))
    report = sync_vendor(vendor_district.engine, folder)
    [fatal] = problems(report)
    assert (fatal.level, fatal.file, fatal.line, fatal.field) == (
        "fatal", "students.csv", 1, "Last_Name")
    assert "column 'Last_Name' is missing" in fatal.reason
    assert report.state == "failed" and vendor_district.unchanged()


def test_an_empty_vendor_file_stops_the_run(
    vendor_district: District, vendor_export: Path,
) -> None:
    folder = export_with(vendor_district, vendor_export, "teachers.csv", lambda _data: b"")
    report = sync_vendor(vendor_district.engine, folder)
    [fatal] = problems(report)
    assert (fatal.level, fatal.file) == ("fatal", "teachers.csv")
    assert "empty" in fatal.reason
    assert vendor_district.unchanged()


def test_a_vendor_file_whose_rows_use_another_delimiter_than_its_header_is_refused(
    vendor_district: District, vendor_export: Path,
) -> None:
    def semicolon_rows(data: bytes) -> bytes:
        header, rows = data.split(b"\n", 1)
        return header + b"\n" + rows.replace(b",", b";")

    folder = export_with(vendor_district, vendor_export, "teachers.csv", semicolon_rows)
    report = sync_vendor(vendor_district.engine, folder)
    assert report.state == "refused" and vendor_district.unchanged()
    about_teachers = [i for i in problems(report) if i.file == "teachers.csv"]
    assert about_teachers and about_teachers[0].line == 2
    assert "semicolon" in about_teachers[0].reason


def utf8_names_and_one_cp1252_row(data: bytes) -> bytes:
    """students.csv stays UTF-8 but for one row, re-saved by a Windows tool: same text, but
    that row's accented name is now Windows-1252 bytes (the one on line REWRITTEN_LINE)."""
    lines = data.split(b"\r\n")
    at = next(n for n, line in enumerate(lines) if n > 0 and b"\xc3" in line)
    assert at + 1 == REWRITTEN_LINE and any(b"\xc3" in line for line in lines[at + 1:])
    lines[at] = lines[at].decode().encode("cp1252")
    return b"\r\n".join(lines)


REWRITTEN_LINE = 11


def test_a_non_utf8_row_in_a_vendor_file_with_a_utf8_bom_is_refused_at_its_line(
    vendor_district: District, vendor_export: Path,
) -> None:
    folder = export_with(vendor_district, vendor_export, "students.csv",
                         utf8_names_and_one_cp1252_row)
    report = sync_vendor(vendor_district.engine, folder)
    [fatal] = [i for i in problems(report) if i.file == "students.csv"]
    assert fatal.line == REWRITTEN_LINE and "UTF-8" in fatal.reason
    assert vendor_district.unchanged()


def test_a_non_utf8_row_in_a_utf8_vendor_file_is_refused_at_its_line(
    vendor_district: District, vendor_export: Path,
) -> None:
    def without_bom(data: bytes) -> bytes:
        # Keep to accents whose UTF-8 bytes all exist in Windows-1252 (as most US exports do);
        # "\u0141" ends in 0x81, which cp1252 lacks, and would make the file unreadable as a whole.
        data = data.removeprefix(b"\xef\xbb\xbf").replace("\u0141".encode(), b"L")
        return utf8_names_and_one_cp1252_row(data)

    folder = export_with(vendor_district, vendor_export, "students.csv", without_bom)
    report = sync_vendor(vendor_district.engine, folder)
    assert vendor_district.unchanged()
    [fatal] = [i for i in problems(report) if i.file == "students.csv"]
    assert fatal.line == REWRITTEN_LINE and "UTF-8" in fatal.reason


def test_a_wholly_semicolon_separated_vendor_file_is_read_as_such(
    vendor_district: District, vendor_export: Path,
) -> None:
    """Not bad input: vendor tools export with semicolons; the adapter says how it read it."""
    folder = export_with(vendor_district, vendor_export, "teachers.csv",
                         lambda data: data.replace(b",", b";"))
    report = sync_vendor(vendor_district.engine, folder)
    assert report.state == "unchanged"
    assert any(i.file == "teachers.csv" and "semicolon-separated" in i.reason
               for i in report.issues)
    assert vendor_district.unchanged()
