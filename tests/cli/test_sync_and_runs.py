"""`gateway sync`, `--dry-run`, `--force`, and `gateway runs` / `runs show`: the report district
IT reads after every import, in the three forms it comes in (text, JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest

from adapters.oneroster_csv.fixtures import build_package, fixture_path
from gateway.store import make_engine
from tests.badinput.snapshot import store_snapshot
from tests.cli.conftest import Workspace, family_table, run_header

ENROLLMENTS = (fixture_path("v1p2_bulk") / "enrollments.csv").read_text()
USERS = (fixture_path("v1p2_bulk") / "users.csv").read_text()
NEW_ENROLMENT = "enr-9,,,class-bio-p3,org-school-1,user-s-1,student,false,,\n"
COUNT_COLUMNS = ["read", "inserted", "updated", "deleted", "unchanged", "errors"]


@pytest.fixture
def sis(workspace: Workspace) -> Workspace:
    """A workspace with source `sis` reading the folder `pkg`, holding the 1.2 fixture."""
    build_package(workspace.folder / "pkg", "v1p2_bulk")
    workspace.add_source("sis", "oneroster-csv", path=str(workspace.folder / "pkg"))
    return workspace


def export(workspace: Workspace, changes: dict[str, str]) -> None:
    shutil.rmtree(workspace.folder / "pkg")
    build_package(workspace.folder / "pkg", "v1p2_bulk", changes)


def snapshot(workspace: Workspace) -> dict:
    engine = make_engine(workspace.database_url)
    try:
        return store_snapshot(engine)
    finally:
        engine.dispose()


def test_sync_prints_the_per_family_table_duration_and_rate(sis: Workspace) -> None:
    result = sis.gateway("sync", "sis")
    run_id, source, state = run_header(result.stdout)
    assert (source, state) == ("sis", "applied")
    table = family_table(result.stdout)
    assert set(table["users"]) == set(COUNT_COLUMNS)
    assert table["users"] == {"read": 4, "inserted": 4, "updated": 0, "deleted": 0,
                              "unchanged": 0, "errors": 0}
    assert table["enrollments"]["inserted"] == 3
    rows = sum(counts["read"] for counts in table.values())
    summary = re.search(r"^([\d,]+) rows in ([\d.]+) s \(([\d,]+) rows/s\); change_version 1$",
                        result.stdout, re.MULTILINE)
    assert summary, result.stdout
    assert int(summary[1].replace(",", "")) == rows
    assert float(summary[2]) > 0 and int(summary[3].replace(",", "")) > 0


def test_a_second_identical_sync_changes_nothing(sis: Workspace) -> None:
    sis.gateway("sync", "sis")
    result = sis.gateway("sync", "sis")
    assert run_header(result.stdout)[2] == "unchanged"
    table = family_table(result.stdout)
    assert all(c["inserted"] + c["updated"] + c["deleted"] == 0 for c in table.values())
    assert table["users"]["unchanged"] == 4


def test_dry_run_prints_what_would_change_and_changes_nothing(sis: Workspace) -> None:
    sis.gateway("sync", "sis")
    export(sis, {"users.csv": USERS.replace("Amara,Okafor", "Amara,Okafor-Reyes"),
                 "enrollments.csv": ENROLLMENTS + NEW_ENROLMENT})
    before = snapshot(sis)
    result = sis.gateway("sync", "sis", "--dry-run")
    assert run_header(result.stdout)[2] == "dry-run"
    table = family_table(result.stdout)
    assert (table["users"]["updated"], table["enrollments"]["inserted"]) == (1, 1)
    assert "would update users: user-s-2" in result.stdout
    assert "enrollments: enr-9" in result.stdout
    assert "dry run: nothing applied" in result.stdout
    assert snapshot(sis) == before


def test_dry_run_names_inserts_in_plain_words(sis: Workspace) -> None:
    sis.gateway("sync", "sis")
    export(sis, {"enrollments.csv": ENROLLMENTS + NEW_ENROLMENT})
    result = sis.gateway("sync", "sis", "--dry-run")
    assert "would insert enrollments: enr-9" in result.stdout


def test_the_safeguard_refuses_a_truncated_export_until_forced(sis: Workspace) -> None:
    sis.gateway("sync", "sis")
    header, first, *_rest = ENROLLMENTS.splitlines()
    export(sis, {"enrollments.csv": f"{header}\n{first}\n"})
    before = snapshot(sis)
    refused = sis.gateway("sync", "sis", expect=2)
    assert run_header(refused.stdout)[2] == "refused"
    assert "mass-change safeguard: enrollments: would delete 2 of 3" in refused.stdout
    assert "--force" in refused.stdout
    assert snapshot(sis) == before
    forced = sis.gateway("sync", "sis", "--force")
    assert run_header(forced.stdout)[2] == "applied"
    assert family_table(forced.stdout)["enrollments"]["deleted"] == 2
    assert "safeguard overridden by --force" in forced.stdout


def test_bad_rows_exit_with_status_2_and_print_file_line_field_and_value(
    sis: Workspace,
) -> None:
    export(sis, {"enrollments.csv": ENROLLMENTS.replace("user-s-2,student", "user-s-2,wizard")})
    result = sis.gateway("sync", "sis", expect=2)
    assert run_header(result.stdout)[2] == "refused"
    assert "  error   enrollments.csv:4 role='wizard': not in the vocabulary" in result.stdout
    assert snapshot(sis)["users"] == []


def test_runs_lists_every_run_newest_first(sis: Workspace) -> None:
    first = run_header(sis.gateway("sync", "sis").stdout)[0]
    second = run_header(sis.gateway("sync", "sis", "--dry-run").stdout)[0]
    listed = sis.gateway("runs").stdout.splitlines()
    assert [(int(line.split()[0]), line.split()[3], line.split()[4]) for line in listed] == [
        (second, "sis", "dry-run"), (first, "sis", "applied")]
    assert re.search(r"\b38 changed\s+applied$", listed[1])


def test_runs_show_prints_the_report_as_text_json_and_csv(sis: Workspace) -> None:
    export(sis, {"enrollments.csv": ENROLLMENTS.replace("2026-01-16", "2026-02-30")})
    run_id = run_header(sis.gateway("sync", "sis", expect=2).stdout)[0]

    text = sis.gateway("runs", "show", str(run_id)).stdout
    assert text.splitlines()[0] == f"run {run_id}: source sis, adapter oneroster-csv, refused"
    assert "  error   enrollments.csv:2 endDate='2026-02-30': not a calendar date" in text

    report = json.loads(sis.gateway("runs", "show", str(run_id), "--format", "json").stdout)
    assert (report["run_id"], report["state"], report["source"]) == (run_id, "refused", "sis")
    assert report["counts"]["enrollments"]["errors"] == 1
    [issue] = [i for i in report["issues"] if i["level"] == "error"]
    assert {k: issue[k] for k in ("family", "file", "line", "sourced_id", "field", "value")} == {
        "family": "enrollments", "file": "enrollments.csv", "line": 2, "sourced_id": "enr-1",
        "field": "endDate", "value": "2026-02-30"}

    rows = list(csv.DictReader(io.StringIO(
        sis.gateway("runs", "show", str(run_id), "--format", "csv").stdout)))
    [error] = [r for r in rows if r["level"] == "error"]
    assert (error["file"], error["line"], error["field"], error["value"], error["reason"]) == (
        "enrollments.csv", "2", "endDate", "2026-02-30", "not a calendar date")


def test_runs_show_of_an_unknown_run_is_a_message(sis: Workspace) -> None:
    result = sis.gateway("runs", "show", "999", expect=1)
    assert "no run 999" in result.stderr


def test_sync_of_an_unknown_source_names_the_known_ones(sis: Workspace) -> None:
    result = sis.gateway("sync", "nope", expect=1)
    assert "no source named 'nope'" in result.stderr and "(sis)" in result.stderr
