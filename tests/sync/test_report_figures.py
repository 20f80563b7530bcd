"""What a run's report says (issue 10, item 7): rejected rows are counted as rows however many
problems each has, a warning shows the value it is about, and a source with several fatal
problems names them all (up to a limit) rather than the first."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from adapters.edfi_xml import EdfiXmlAdapter
from adapters.oneroster_csv import OneRosterCsvAdapter
from adapters.oneroster_csv.fixtures import build_package, fixture_path
from adapters.records import FamilyMode, Issue
from gateway.cli import _issue_line
from gateway.config import SourceConfig
from gateway.sync.report import MAX_FATAL_ISSUES
from gateway.sync.runner import run_sync

SIS = SourceConfig(name="sis", adapter="oneroster-csv")
FIXTURE_XML = Path(__file__).resolve().parents[1] / "edfi_xml" / "fixtures" / "idref"


def users_csv() -> str:
    return (fixture_path("v1p2_bulk") / "users.csv").read_text(encoding="utf-8")


def sync_csv(engine: Engine, package: Path, **options: object):  # noqa: ANN201
    return run_sync(engine, SIS, OneRosterCsvAdapter(path=str(package), **options).read(),
                    adapter_name="oneroster-csv")


def test_a_strict_run_counts_each_rejected_row_once_however_many_problems_it_has(
        engine: Engine, tmp_path: Path) -> None:
    header, *rows = users_csv().strip().splitlines()
    # two problems in every row: a boolean in capitals, and a status in a bulk file
    broken = [row.replace(",,,true,", ",active,,TRUE,", 1).replace(",,,false,", ",active,,FALSE,",
                                                                   1) for row in rows]
    package = build_package(tmp_path / "p", "v1p2_bulk",
                            {"users.csv": "\n".join([header, *broken]) + "\n"})

    report = sync_csv(engine, package, strict=True)

    per_row = [i for i in report.issues if i.family == "users" and i.level == "error"]
    assert len(per_row) == 2 * len(rows)  # every problem is still reported
    assert (report.counts["users"].read, report.counts["users"].errors) == (len(rows), len(rows))
    assert report.state == "refused"
    assert report.message.startswith(f"{report.rows_rejected} of {report.rows_read} rows")
    assert report.rows_rejected <= report.rows_read
    assert report.rows_rejected == sum(c.errors for c in report.counts.values())


def test_a_lenient_normalisation_warning_shows_the_value_it_found(tmp_path: Path) -> None:
    classes = (fixture_path("v1p2_bulk") / "classes.csv").read_text(encoding="utf-8")
    package = build_package(tmp_path / "p", "v1p2_bulk",
                            {"classes.csv": classes.replace(",scheduled,", ",Scheduled,", 1)})

    events = list(OneRosterCsvAdapter(path=str(package)).read())

    [note] = [e for e in events if isinstance(e, Issue) and e.field == "classType"]
    assert (note.level, note.value) == ("warning", "Scheduled")
    printed = _issue_line(note.level, note.file, note.line, note.field, note.value, note.reason)
    assert "classType='Scheduled'" in printed


def test_an_issue_without_a_value_prints_its_field_alone() -> None:
    printed = _issue_line("warning", "classes.csv", 2, "classType", None, "corrected")
    assert "classType:" in printed and "None" not in printed


def test_every_fatal_problem_of_a_package_is_named_not_only_the_first(
        engine: Engine, tmp_path: Path) -> None:
    enrollments = (fixture_path("v1p2_bulk") / "enrollments.csv").read_text(encoding="utf-8")
    classes = (fixture_path("v1p2_bulk") / "classes.csv").read_text(encoding="utf-8")
    package = build_package(tmp_path / "p", "v1p2_bulk", {
        "classes.csv": classes.replace("sourcedId,status,dateLastModified,title,",
                                       "sourcedId,status,dateLastModified,name,", 1),
        "enrollments.csv": enrollments.replace(",userSourcedId,", ",personSourcedId,", 1)})

    report = sync_csv(engine, package, strict=True)

    fatal = [i for i in report.issues if i.level == "fatal"]
    assert {(i.file, i.field) for i in fatal} >= {("classes.csv", "title"),
                                                  ("enrollments.csv", "userSourcedId")}
    assert report.state == "failed"
    assert f"{len(fatal)} fatal problems" in report.message


def test_the_fatal_problems_named_are_capped(engine: Engine) -> None:
    def many():  # noqa: ANN202
        yield FamilyMode("users", "bulk", "users.csv")
        for n in range(MAX_FATAL_ISSUES * 3):
            yield Issue("fatal", f"problem {n}", file=f"f{n}.csv")
        raise AssertionError("read past the cap")

    report = run_sync(engine, SIS, many(), adapter_name="test")
    assert report.issue_totals["fatal"] == MAX_FATAL_ISSUES
    assert report.state == "failed"


def test_every_refused_file_of_an_interchange_set_is_named(
        engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    for path in FIXTURE_XML.glob("*.xml"):
        (folder / path.name).write_bytes(path.read_bytes())
    student = folder / "Student.xml"
    student.write_text(student.read_text().replace(
        "<InterchangeStudent", "<!DOCTYPE InterchangeStudent>\n<InterchangeStudent"))
    staff = folder / "StaffAssociation.xml"
    staff.write_text(staff.read_text().replace("http://ed-fi.org/5.2.0", "urn:not-ed-fi"))
    calendar = folder / "EducationOrgCalendar.xml"
    calendar.write_text(calendar.read_text().replace("</SessionName>", "</SessionNam>", 1))

    report = run_sync(engine, SourceConfig(name="edfi", adapter="edfi-xml"),
                      EdfiXmlAdapter(path=str(folder)).read(), adapter_name="edfi-xml")

    named = {i.file for i in report.issues if i.level == "fatal"}
    assert named == {"Student.xml", "StaffAssociation.xml", "EducationOrgCalendar.xml"}
    assert report.state == "failed"
