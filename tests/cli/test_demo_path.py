"""The `make demo` path: `gateway demo-data --format vendor-csv`, then a mapped-csv source with
pack:powerschool imports the demo district with zero errors, and again with zero changes."""

from __future__ import annotations

from tests.cli.conftest import Workspace, family_table, run_header


def test_the_demo_export_imports_through_the_powerschool_pack_with_zero_errors(
    workspace: Workspace,
) -> None:
    export = workspace.folder / "demo" / "export"
    made = workspace.gateway("demo-data", "--students", "60", "--seed", "1",
                             "--format", "vendor-csv", "--out", str(export))
    generated = {line.split()[0]: int(line.split()[1].replace(",", ""))
                 for line in made.stdout.splitlines()[1:] if line.split()[1:2] != []}
    workspace.add_source("demo", "mapped-csv", path=str(export), mapping="pack:powerschool")

    first = workspace.gateway("sync", "demo")
    assert run_header(first.stdout)[1:] == ("demo", "applied")
    table = family_table(first.stdout)
    assert sum(c["errors"] for c in table.values()) == 0
    assert "issues:" not in first.stdout or " error" not in first.stdout.split("issues:")[1]
    assert table["users"]["inserted"] == (generated["students"] + generated["teachers"]
                                          + generated["guardians"])
    assert table["classes"]["inserted"] == generated["classes"]
    enrolled = generated["student_enrollments"] + generated["teacher_enrollments"]
    assert table["enrollments"]["inserted"] == enrolled

    again = workspace.gateway("sync", "demo")
    assert run_header(again.stdout)[2] == "unchanged"
