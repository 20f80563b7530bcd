"""Validates a mapping against specs/mapping/mapping.schema.json and names the YAML line.

jsonschema reports a path inside the data (`entities/3/fields/sex`); the line map built while
loading turns it into a line and column. An unknown key is reported at the key itself, and the
schema's `x-error` annotations replace jsonschema's generic wording where it would not help.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from adapters.mapped_csv.problems import MappingProblem
from adapters.mapped_csv.yaml_lines import LineMap, render_path

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "specs" / "mapping" / "mapping.schema.json"


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def schema_problems(data: Any, lines: LineMap, file: str) -> list[MappingProblem]:
    problems: list[MappingProblem] = []
    for error in _validator().iter_errors(data):
        problems.extend(_explain(best_match([error]), lines, file))
    return problems


def _explain(error: ValidationError, lines: LineMap, file: str) -> list[MappingProblem]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extras = [k for k in error.instance if k not in allowed]
        hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return [
            _problem(lines, file, path + (key,), f"unknown key {key!r}{hint}", key=True)
            for key in extras
        ]
    custom = _custom_message(error)
    return [_problem(lines, file, path, custom or error.message)]


def _custom_message(error: ValidationError) -> str | None:
    """The `x-error` of the failing subschema or of the schema that holds it."""
    for schema in (error.schema, *(getattr(error.parent, "schema", None),)):
        if isinstance(schema, dict) and "x-error" in schema:
            return str(schema["x-error"])
    return None


def _problem(
    lines: LineMap, file: str, path: tuple[Any, ...], message: str, *, key: bool = False
) -> MappingProblem:
    mark = lines.locate(path, key=key)
    line, column = mark if mark else (None, None)
    return MappingProblem(file, line, column, render_path(path), message)
