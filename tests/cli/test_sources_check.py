"""`gateway sources check`: every configured source checked without importing anything, each
problem named where district IT can fix it (the mapping's line, the missing path)."""

from __future__ import annotations

from adapters.mapped_csv.loader import PACKS_DIR
from adapters.oneroster_csv.fixtures import fixture_path
from tests.cli.conftest import Workspace

SAMPLES = PACKS_DIR / "powerschool" / "samples"
MAPPING = """\
version: 1
files:
  people: {name: students.csv}
entities:
  - family: users
    from: people
    id: {template: "u-{ID}"}
    fields:
      enabledUser: {const: true}
      username: Student_Web_ID
      givenName: First_Name
      familyName: Last_Name
      gender: Gender
"""


def test_good_sources_are_reported_ok(workspace: Workspace) -> None:
    workspace.add_source("sis", "oneroster-csv", path=str(fixture_path("v1p2_bulk")))
    workspace.add_source("ps", "mapped-csv", path=str(SAMPLES), mapping="pack:powerschool")
    result = workspace.gateway("sources", "check")
    assert result.output.splitlines() == ["sis: ok", "ps: ok"]


def test_a_bad_mapping_is_reported_with_its_line(workspace: Workspace) -> None:
    mapping = workspace.folder / "ps.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    workspace.add_source("ps", "mapped-csv", path=str(SAMPLES), mapping=str(mapping))
    result = workspace.gateway("sources", "check", expect=1)
    lines = result.output.splitlines()
    assert lines[0] == "ps: 1 problem(s)"
    line = MAPPING.splitlines().index("      gender: Gender") + 1
    assert lines[1].startswith(f"  - {mapping}:{line}:7: ")
    assert "'gender' is not a field of users" in lines[1]


def test_a_missing_path_is_reported_and_the_other_sources_still_checked(
    workspace: Workspace,
) -> None:
    gone = workspace.folder / "exports" / "missing.zip"
    workspace.add_source("sis", "oneroster-csv", path=str(gone))
    workspace.add_source("ps", "mapped-csv", path=str(workspace.folder / "nowhere"),
                         mapping="pack:powerschool")
    workspace.add_source("ok", "oneroster-csv", path=str(fixture_path("v1p2_bulk")))
    result = workspace.gateway("sources", "check", expect=1)
    assert result.output.splitlines() == [
        "sis: 1 problem(s)", f"  - {gone}: no such file or folder",
        "ps: 1 problem(s)", f"  - {workspace.folder / 'nowhere'}: no such folder",
        "ok: ok",
    ]


def test_an_unknown_adapter_or_option_is_a_problem_not_a_traceback(
    workspace: Workspace,
) -> None:
    workspace.add_source("x", "no-such-adapter", path="p")
    workspace.add_source("y", "oneroster-csv", path="p", colour="blue")
    output = workspace.gateway("sources", "check", expect=1).output
    assert "x: 1 problem(s)" in output and "no-such-adapter" in output
    assert "y: 1 problem(s)" in output and "unknown option(s) colour" in output
