"""Finds, parses, validates and compiles a connector file; every mistake comes with its line.

A connector is named by a path or as `pack:<name>` for one shipped under `packs/`. As for
mapped-csv mappings: YAML syntax, then the JSON Schema (specs/mapping/connector.schema.json),
then meaning (`connector.compile_connector`), each stage reporting every problem it finds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adapters.mapping.problems import MappingError, MappingProblem
from adapters.mapping.schema_check import SCHEMAS_DIR, schema_problems
from adapters.mapping.yaml_lines import YamlProblem, load_with_lines
from adapters.rest_api.connector import Connector, compile_connector

PACKS_DIR = Path(__file__).resolve().parent / "packs"
PACK_PREFIX = "pack:"
SCHEMA_PATH = SCHEMAS_DIR / "connector.schema.json"


def shipped_packs() -> list[str]:
    return sorted(p.parent.name for p in PACKS_DIR.glob("*/connector.yaml"))


def resolve_connector_path(connector: str) -> Path:
    if connector.startswith(PACK_PREFIX):
        name = connector[len(PACK_PREFIX):].strip()
        path = PACKS_DIR / name / "connector.yaml"
        if not name or "/" in name or "\\" in name or not path.is_file():
            known = ", ".join(shipped_packs()) or "none"
            raise MappingError([MappingProblem(connector, None, None, "",
                                               f"no shipped pack {name!r}; shipped: {known}")])
        return path
    path = Path(connector)
    if not path.is_file():
        raise MappingError([MappingProblem(connector, None, None, "",
                                           "connector file not found")])
    return path


def load_connector(connector: str, variables: Mapping[str, Any] | None = None) -> Connector:
    path = resolve_connector_path(connector)
    origin = connector if connector.startswith(PACK_PREFIX) else str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError([MappingProblem(origin, None, None, "", f"cannot read: {exc}")]) \
            from None
    return parse_connector(text, origin, variables)


def parse_connector(text: str, origin: str,
                    variables: Mapping[str, Any] | None = None) -> Connector:
    try:
        data, lines = load_with_lines(text)
    except YamlProblem as exc:
        raise MappingError([MappingProblem(origin, exc.line, exc.column, "", exc.message)]) \
            from None
    problems = schema_problems(data, lines, origin, SCHEMA_PATH)
    if problems:
        raise MappingError(problems)
    merged = {**data.get("vars", {}), **dict(variables or {})}
    connector, problems = compile_connector(data, lines, origin, merged)
    if problems:
        raise MappingError(problems)
    return connector
