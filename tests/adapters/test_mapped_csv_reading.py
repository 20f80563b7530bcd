"""How the adapter reads export files: encodings and delimiters are detected and reported,
columns the mapping needs must be there (fatal otherwise), unused ones are listed once, odd
rows are rejected with their line, and big files are streamed."""

from __future__ import annotations

import textwrap
import tracemalloc
from pathlib import Path

import pytest

from adapters.mapped_csv import MappedCsvAdapter
from adapters.records import DroppedColumn, Event, FamilyMode, Issue, Record

MAPPING = """
    version: 1
    files:
      students: {name: students.csv}
    entities:
      - family: users
        from: students
        id: {template: "stu-{ID}"}
        fields:
          enabledUser: {const: true}
          username: Login
          givenName: First_Name
          familyName: Last_Name
"""
HEADER = ["ID", "Login", "First_Name", "Last_Name"]
PEOPLE = [["7", "jose", "José", "Álvarez"], ["8", "zoe", "Zoë", "O’Brien"]]


def export(tmp_path: Path, body: bytes, name: str = "students.csv") -> MappedCsvAdapter:
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(body)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(textwrap.dedent(MAPPING), encoding="utf-8")
    return MappedCsvAdapter(path=str(folder), mapping=str(mapping))


def table(rows: list[list[str]], delimiter: str = ",", newline: str = "\r\n") -> str:
    return "".join(delimiter.join(row) + newline for row in rows)


def names(events: list[Event]) -> dict[str, tuple[str, str]]:
    return {
        e.sourced_id: (e.fields["givenName"], e.fields["familyName"])
        for e in events
        if isinstance(e, Record)
    }


def warnings(events: list[Event]) -> list[str]:
    return [e.reason for e in events if isinstance(e, Issue) and e.level == "warning"]


def fatals(events: list[Event]) -> list[Issue]:
    return [e for e in events if isinstance(e, Issue) and e.level == "fatal"]


EXPECTED = {"stu-7": ("José", "Álvarez"), "stu-8": ("Zoë", "O’Brien")}


@pytest.mark.parametrize(
    ("encoding", "delimiter", "reported"),
    [
        ("utf-8", ",", "students.csv: read as UTF-8, comma-separated"),
        ("utf-8-sig", ",", "students.csv: read as UTF-8 with BOM, comma-separated"),
        ("cp1252", ",", "students.csv: read as cp1252 (Windows-1252), comma-separated"),
        ("utf-16", "\t", "students.csv: read as UTF-16LE (Excel Unicode Text), tab-separated"),
        ("utf-8", ";", "students.csv: read as UTF-8, semicolon-separated"),
        ("cp1252", "|", "students.csv: read as cp1252 (Windows-1252), pipe-separated"),
    ],
)
def test_encoding_and_delimiter_are_detected_and_reported(
    tmp_path: Path, encoding: str, delimiter: str, reported: str
) -> None:
    body = table([HEADER, *PEOPLE], delimiter).encode(encoding)
    if encoding == "utf-16":
        assert body.startswith(b"\xff\xfe")  # what Excel's "Unicode Text" writes
    events = list(export(tmp_path, body).read())
    assert names(events) == EXPECTED
    assert warnings(events) == [reported]


def test_a_file_that_is_utf8_until_its_last_row_is_read_as_cp1252(tmp_path: Path) -> None:
    rows = [HEADER] + [[str(i), "x", "Ann", "Lee"] for i in range(1, 40_000)] + [PEOPLE[1]]
    events = list(export(tmp_path, table(rows).encode("cp1252")).read())
    assert names(events)["stu-8"] == ("Zoë", "O’Brien")
    assert warnings(events) == ["students.csv: read as cp1252 (Windows-1252), comma-separated"]


def test_bytes_that_no_supported_encoding_explains_are_fatal(tmp_path: Path) -> None:
    body = table([HEADER]).encode() + b"7,\x81\x8d,\x90,\x9d\r\n"
    [fatal] = fatals(list(export(tmp_path, body).read()))
    assert fatal.reason.startswith("students.csv: not UTF-8")


def test_a_cell_the_csv_reader_cannot_take_is_fatal_with_its_line(tmp_path: Path) -> None:
    body = table([HEADER, PEOPLE[0], ["8", "zoe", "x" * 200_000, "Lee"]]).encode()
    events = list(export(tmp_path, body).read())
    assert set(names(events)) == {"stu-7"}
    [fatal] = fatals(events)
    assert fatal.reason.startswith("students.csv: line 3: field larger than field limit")


def test_a_missing_column_is_fatal_and_names_file_and_column(tmp_path: Path) -> None:
    body = table([["ID", "First_Name", "Last_Name"], ["7", "Ann", "Lee"]]).encode()
    events = list(export(tmp_path, body).read())
    [fatal] = fatals(events)
    assert (fatal.file, fatal.field) == ("students.csv", "Login")
    assert fatal.reason == "students.csv: column 'Login' is missing (needed by users from students)"
    assert not any(isinstance(e, Record | FamilyMode) for e in events)


def test_a_missing_file_is_fatal(tmp_path: Path) -> None:
    adapter = export(tmp_path, b"", name="other.csv")
    [fatal] = fatals(list(adapter.read()))
    assert fatal.reason.startswith("students.csv: file not found in")
    assert adapter.check() == [f"students.csv: file not found in {tmp_path / 'export'}"]


def test_file_names_match_regardless_of_case(tmp_path: Path) -> None:
    adapter = export(tmp_path, table([HEADER, *PEOPLE]).encode(), name="STUDENTS.CSV")
    assert names(list(adapter.read())) == EXPECTED


def test_a_repeated_header_name_is_fatal(tmp_path: Path) -> None:
    body = table([HEADER + ["Login"], PEOPLE[0] + ["x"]]).encode()
    [fatal] = fatals(list(export(tmp_path, body).read()))
    assert fatal.reason == "students.csv: the header names column 'Login' twice"


def test_columns_no_mapping_uses_are_listed_once_per_file(tmp_path: Path) -> None:
    rows = [HEADER + ["Locker", "Bus_Route"], PEOPLE[0] + ["12", "4"], PEOPLE[1] + ["13", "5"]]
    events = list(export(tmp_path, table(rows).encode()).read())
    assert [e for e in events if isinstance(e, DroppedColumn)] == [
        DroppedColumn("students.csv", "Locker", "not used by the mapping"),
        DroppedColumn("students.csv", "Bus_Route", "not used by the mapping"),
    ]


def test_rows_keep_their_physical_line_even_after_a_multi_line_cell(tmp_path: Path) -> None:
    body = (table([HEADER]) + '7,jose,"José\r\nMaría",Álvarez\r\n\r\n8,zoe,Zoë,O’Brien\r\n')
    events = list(export(tmp_path, body.encode()).read())
    assert [(e.sourced_id, e.line) for e in events if isinstance(e, Record)] == [
        ("stu-7", 2), ("stu-8", 5),
    ]


def test_a_row_with_more_values_than_the_header_is_an_error(tmp_path: Path) -> None:
    body = table([HEADER, PEOPLE[0] + ["surplus"], PEOPLE[1]]).encode()
    events = list(export(tmp_path, body).read())
    assert set(names(events)) == {"stu-8"}
    [error] = [e for e in events if isinstance(e, Issue) and e.level == "error"]
    assert (error.file, error.line) == ("students.csv", 2)
    assert "5 or more values but the header 4" in error.reason


def test_short_rows_are_padded_with_blanks(tmp_path: Path) -> None:
    body = table([HEADER + ["Email"], PEOPLE[0]]).encode()
    assert names(list(export(tmp_path, body).read())) == {"stu-7": ("José", "Álvarez")}


def test_every_family_produced_is_declared_bulk_before_its_records(tmp_path: Path) -> None:
    events = list(export(tmp_path, table([HEADER, *PEOPLE]).encode()).read())
    modes = [i for i, e in enumerate(events) if isinstance(e, FamilyMode)]
    first_record = next(i for i, e in enumerate(events) if isinstance(e, Record))
    assert [events[i] for i in modes] == [FamilyMode("users", "bulk", "students.csv")]
    assert modes[0] < first_record


def test_a_zip_path_is_not_supported_yet(tmp_path: Path) -> None:
    adapter = MappedCsvAdapter(path=str(tmp_path / "export.zip"), mapping="pack:powerschool")
    assert adapter.check() == [f"{tmp_path / 'export.zip'}: zip exports are not supported yet; "
                               "unzip into a folder"]
    [fatal] = list(adapter.read())
    assert isinstance(fatal, Issue) and fatal.level == "fatal"


@pytest.mark.slow
def test_big_files_are_streamed_not_loaded(tmp_path: Path) -> None:
    filler = "x" * 200  # wide rows make a file of ~5 MB from few rows, so the test stays fast
    rows = [HEADER + ["Notes"]] + [[str(i), f"u{i}", "Ann", "Lee", filler] for i in range(22_000)]
    body = table(rows).encode()
    adapter = export(tmp_path, body)
    tracemalloc.start()
    count = sum(1 for e in adapter.read() if isinstance(e, Record))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 22_000
    assert peak < len(body) // 4  # holding every row at once would take more than the file
