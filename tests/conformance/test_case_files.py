"""Case files are data checked against specs/conformance/case.schema.json, with errors that
name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cases import CaseFileError, load_case_file, load_suite
from conformance.checks import known_checks


@pytest.mark.parametrize("suite", ["oneroster", "edfi", "oauth"])
def test_every_shipped_case_file_loads(suite: str) -> None:
    cases = load_suite(suite, known_checks())
    assert cases and all(c.suite == suite for c in cases)
    assert all(c.spec and c.level in ("MUST", "SHOULD", "MAY") for c in cases)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text(text)
    return path


def test_a_wrong_level_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, """suite: oneroster
cases:
  - id: demo.one
    title: t
    level: MUST
    spec: s
    check: paging-walk
  - id: demo.two
    title: t
    level: REQUIRED
    spec: s
    check: paging-walk
""")
    with pytest.raises(CaseFileError) as error:
        load_case_file(path, known_checks())
    assert str(error.value).startswith(f"{path}:10: field /cases/1/level:")
    assert "'REQUIRED'" in str(error.value)


def test_an_unknown_check_kind_is_refused_before_running(tmp_path: Path) -> None:
    path = write(tmp_path, """suite: oneroster
cases:
  - id: demo.one
    title: t
    level: MUST
    spec: s
    check: walk-the-dog
""")
    with pytest.raises(CaseFileError, match=r"cases.yaml:7: field check: unknown check kind"):
        load_case_file(path, known_checks())


def test_a_case_needs_either_a_check_or_a_request_with_expectations(tmp_path: Path) -> None:
    path = write(tmp_path, """suite: oneroster
cases:
  - id: demo.one
    title: t
    level: MUST
    spec: s
    request: {path: /users}
""")
    with pytest.raises(CaseFileError, match=r"cases.yaml:3: field /cases/0:"):
        load_case_file(path, known_checks())


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "suite: oneroster\ncases:\n  - id: [unclosed\n")
    with pytest.raises(CaseFileError, match=r"cases.yaml:\d+: not valid YAML"):
        load_case_file(path, known_checks())


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    suite_dir = tmp_path / "oneroster"
    suite_dir.mkdir()
    case = "  - {id: demo.same, title: t, level: MUST, spec: s, check: paging-walk}\n"
    for name in ("a.yaml", "b.yaml"):
        (suite_dir / name).write_text("suite: oneroster\ncases:\n" + case)
    with pytest.raises(CaseFileError, match=r"b.yaml:3: field id: 'demo.same' already defined"):
        load_suite("oneroster", known_checks(), cases_dir=tmp_path)
