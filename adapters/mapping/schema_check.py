"""Validates a mapping document against its JSON Schema in specs/mapping/ and names the YAML
line.

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
from referencing import Registry, Resource

from adapters.mapping.problems import MappingProblem
from adapters.mapping.yaml_lines import LineMap, render_path

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "specs" / "mapping"
SCHEMA_PATH = SCHEMAS_DIR / "mapping.schema.json"


@cache
def _validator(path: Path) -> Draft202012Validator:
    """A validator for the schema at `path`; the schemas beside it are found by their `$id`
    (a connector file uses the mapping file's value definitions)."""
    resources = []
    for sibling in sorted(SCHEMAS_DIR.glob("*.schema.json")):
        contents = json.loads(sibling.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=Registry().with_resources(resources))


def schema_problems(data: Any, lines: LineMap, file: str,
                    schema: Path = SCHEMA_PATH) -> list[MappingProblem]:
    problems: list[MappingProblem] = []
    for error in _validator(schema).iter_errors(data):
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
