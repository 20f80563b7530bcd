"""Bad columns and bad values in a OneRoster CSV package, end to end: each ends in a message
naming file, line, field, value and reason, and a store exactly as it was before the run."""

from __future__ import annotations

import pytest

from adapters.oneroster_csv.fixtures import fixture_path
from gateway.config import SourceConfig
from tests.badinput.conftest import District, problems, sync_oneroster

ENROLLMENTS = (fixture_path("v1p2_bulk") / "enrollments.csv").read_text()
HEADER = ENROLLMENTS.splitlines()[0]


def enrollments(old: str, new: str) -> dict[str, str]:
    assert old in ENROLLMENTS, old
    return {"enrollments.csv": ENROLLMENTS.replace(old, new)}


@pytest.mark.parametrize("strict", [False, True])
def test_a_missing_required_column_stops_the_run_naming_the_column(
    district: District, strict: bool,
) -> None:
    header = HEADER.replace(",userSourcedId", "")
    body = "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 5)
                     for line in ENROLLMENTS.splitlines()[1:])
    report = sync_oneroster(district.engine,
                            district.package({"enrollments.csv": f"{header}\n{body}\n"}),
                            strict=strict)
    [fatal] = problems(report)
    assert (fatal.level, fatal.file, fatal.line, fatal.field) == (
        "fatal", "enrollments.csv", 1, "userSourcedId")
    assert report.state == "failed" and "nothing applied" in report.message
    assert district.unchanged()


def test_an_extra_column_is_dropped_and_reported_and_changes_nothing(district: District) -> None:
    rows = [line + ("," if n else ",shoeSize") for n, line in enumerate(ENROLLMENTS.splitlines())]
    rows[1] = rows[1] + "42"
    report = sync_oneroster(district.engine, district.package({"enrollments.csv":
                                                               "\n".join(rows) + "\n"}))
    assert report.state == "unchanged"
    [dropped] = [i for i in report.issues if i.field == "shoeSize"]
    assert (dropped.file, dropped.line, dropped.level) == ("enrollments.csv", 1, "warning")
    assert "dropped" in dropped.reason
    assert district.unchanged()


def test_an_extra_column_is_refused_in_strict_mode(district: District) -> None:
    rows = [line + ("," if n else ",shoeSize") for n, line in enumerate(ENROLLMENTS.splitlines())]
    report = sync_oneroster(district.engine, district.package({"enrollments.csv":
                                                               "\n".join(rows) + "\n"}),
                            strict=True)
    [refusal] = problems(report)
    assert (refusal.level, refusal.file, refusal.line, refusal.field) == (
        "fatal", "enrollments.csv", 1, "shoeSize")
    assert "unknown column" in refusal.reason
    assert report.state == "failed"
    assert district.unchanged()


def test_a_misspelt_column_is_repaired_with_a_warning_when_lenient(district: District) -> None:
    report = sync_oneroster(district.engine,
                            district.package(enrollments("userSourcedId", "userSourceId")))
    [repair] = [i for i in report.issues if i.value == "userSourceId"]
    assert (repair.level, repair.file, repair.line, repair.field) == (
        "warning", "enrollments.csv", 1, "userSourcedId")
    assert report.state == "unchanged"
    assert district.unchanged()


def test_a_misspelt_required_column_stops_a_strict_run(district: District) -> None:
    report = sync_oneroster(district.engine,
                            district.package(enrollments("userSourcedId", "userSourceId")),
                            strict=True)
    # both problems of the header are named at once: the missing column and the misspelt one
    fatal, unknown = problems(report)
    assert (fatal.level, fatal.file, fatal.line, fatal.field) == (
        "fatal", "enrollments.csv", 1, "userSourcedId")
    assert "required column 'userSourcedId' is missing" in fatal.reason
    assert (unknown.level, unknown.field) == ("fatal", "userSourceId")
    assert report.state == "failed"
    assert district.unchanged()


def test_an_unknown_vocabulary_value_rejects_its_row_with_the_vocabulary(
    district: District,
) -> None:
    report = sync_oneroster(district.engine, district.package(
        enrollments("user-s-2,student", "user-s-2,wizard")))
    [error] = problems(report)
    assert (error.file, error.line, error.field, error.value, error.sourced_id) == (
        "enrollments.csv", 4, "role", "wizard", "enr-3")
    assert "vocabulary" in error.reason and "student" in error.reason
    assert report.state == "refused"
    assert district.unchanged()


@pytest.mark.parametrize(("bad", "reason"), [
    ("2026-02-30", "not a calendar date"),
    ("16/01/2026", "date"),
    ("2026-1-16", "date"),
])
def test_a_bad_date_rejects_its_row_naming_the_field(
    district: District, bad: str, reason: str,
) -> None:
    report = sync_oneroster(district.engine, district.package(enrollments("2026-01-16", bad)))
    [error] = problems(report)
    assert (error.file, error.line, error.field, error.value) == (
        "enrollments.csv", 2, "endDate", bad)
    assert reason in error.reason
    assert district.unchanged()


def test_duplicate_sourced_ids_reject_every_copy_and_point_at_each_other(
    district: District,
) -> None:
    twin = "enr-2,,,class-bio-p3,org-school-1,user-s-2,student,false,,\n"
    report = sync_oneroster(district.engine,
                            district.package({"enrollments.csv": ENROLLMENTS + twin}))
    errors = sorted(problems(report), key=lambda i: i.line or 0)
    assert [(e.file, e.line, e.field, e.value) for e in errors] == [
        ("enrollments.csv", 3, "sourcedId", "enr-2"), ("enrollments.csv", 5, "sourcedId", "enr-2")]
    assert "line 5" in errors[0].reason and "line 3" in errors[1].reason
    assert district.unchanged()


def test_a_dangling_reference_rejects_its_row_naming_the_missing_target(
    district: District,
) -> None:
    report = sync_oneroster(district.engine, district.package(
        enrollments("org-school-1,user-s-2", "org-school-1,user-s-99")))
    [error] = problems(report)
    assert (error.file, error.line, error.field, error.value) == (
        "enrollments.csv", 4, "user", "user-s-99")
    assert "user-s-99" in error.reason and "neither in this import" in error.reason
    assert district.unchanged()


def test_a_rejected_row_keeps_its_stored_version_when_the_rest_applies(
    district: District,
) -> None:
    """With a lenient error limit the good rows apply; the bad row's stored enrollment must
    stay exactly as it was, neither updated nor tombstoned."""
    lax = SourceConfig(name="sis", adapter="oneroster-csv", max_error_share=0.5)
    package = district.package(enrollments("user-s-2,student", "user-s-2,wizard"))
    report = sync_oneroster(district.engine, package, lax)
    assert report.state == "unchanged"
    assert report.counts["enrollments"].errors == 1
    assert district.unchanged()
