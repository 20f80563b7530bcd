"""Case files: YAML data that says what to request and what to expect.

A case file is validated against `specs/conformance/case.schema.json` before anything runs,
and every complaint names the file, the line and the field, so that a contributor adding a
case sees at once what is wrong with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

PACKAGE_DIR = Path(__file__).resolve().parent
CASES_DIR = PACKAGE_DIR / "cases"
CASE_SCHEMA = PACKAGE_DIR.parent / "specs" / "conformance" / "case.schema.json"


class CaseFileError(Exception):
    """A case file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Case:
    """One requirement of a standard, phrased as requests and expectations."""

    id: str
    title: str
    level: str
    spec: str
    suite: str
    source: str
    line: int
    versions: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    discover: dict[str, dict[str, Any]] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    expect: tuple[dict[str, Any], ...] = ()
    check: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def applies_to(self, version: str | None) -> bool:
        return not self.versions or version is None or version in self.versions

    def matches(self, pattern: str | None) -> bool:
        return pattern is None or any(
            fnmatchcase(self.id, p.strip()) for p in pattern.split(",") if p.strip()
        )


class _LineLoader(yaml.SafeLoader):
    """Safe YAML loading that remembers the line of every mapping and sequence item."""


def _compose_with_lines(node: yaml.Node, pointer: str, lines: dict[str, int]) -> Any:
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = _LineLoader.construct_scalar(_LOADER_FOR_SCALARS, key_node)
            result[key] = _compose_with_lines(value_node, f"{pointer}/{key}", lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _compose_with_lines(item, f"{pointer}/{index}", lines)
            for index, item in enumerate(node.value)
        ]
    return _LOADER_FOR_SCALARS.construct_object(node, deep=True)


_LOADER_FOR_SCALARS = _LineLoader("")


def _read_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"{path}: cannot read: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise CaseFileError(f"{path}:{line}: not valid YAML: {exc.problem}") from exc
    lines: dict[str, int] = {}
    if node is None:
        raise CaseFileError(f"{path}:1: empty case file")
    return _compose_with_lines(node, "", lines), lines


def _schema_validator(schema_path: Path) -> Draft202012Validator:
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CaseFileError(f"{schema_path}: cannot load the case schema: {exc}") from exc
    return Draft202012Validator(schema)


def load_case_file(
    path: str | Path, known_checks: frozenset[str], schema_path: Path = CASE_SCHEMA
) -> list[Case]:
    path = Path(path)
    data, lines = _read_yaml(path)
    errors = sorted(_schema_validator(schema_path).iter_errors(data), key=lambda e: e.path)
    if errors:
        error = errors[0]
        pointer = "".join(f"/{p}" for p in error.absolute_path)
        line = _nearest_line(lines, pointer)
        field_name = pointer or "/"
        raise CaseFileError(f"{path}:{line}: field {field_name}: {error.message}")
    cases = []
    for index, raw in enumerate(data["cases"]):
        line = lines.get(f"/cases/{index}", 0)
        check = raw.get("check")
        if check is not None and check not in known_checks:
            raise CaseFileError(
                f"{path}:{lines.get(f'/cases/{index}/check', line)}: field check: "
                f"unknown check kind {check!r} (known: {', '.join(sorted(known_checks))})"
            )
        cases.append(
            Case(
                id=raw["id"],
                title=raw["title"],
                level=raw["level"],
                spec=raw["spec"],
                suite=data["suite"],
                source=str(path),
                line=line,
                versions=tuple(str(v) for v in raw.get("versions", data.get("versions", []))),
                requires=tuple(raw.get("requires", [])),
                discover=raw.get("discover", {}),
                request=raw.get("request", {}),
                expect=tuple(raw.get("expect", [])),
                check=check,
                params=raw.get("params", {}),
            )
        )
    return cases


def _nearest_line(lines: dict[str, int], pointer: str) -> int:
    while pointer and pointer not in lines:
        pointer = pointer.rsplit("/", 1)[0]
    return lines.get(pointer, 1)


def load_suite(
    suite: str, known_checks: frozenset[str], cases_dir: Path = CASES_DIR
) -> list[Case]:
    """All cases of one suite, in file then document order; duplicate ids are an error."""
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in sorted((cases_dir / suite).glob("*.yaml")):
        for case in load_case_file(path, known_checks):
            if case.id in seen:
                raise CaseFileError(
                    f"{case.source}:{case.line}: field id: {case.id!r} already defined in "
                    f"{seen[case.id]}"
                )
            seen[case.id] = f"{case.source}:{case.line}"
            cases.append(case)
    return cases
