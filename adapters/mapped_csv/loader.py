"""Finds, parses, validates and compiles a mapping file; every mistake comes back with its line.

A mapping is named by a path or as `pack:<name>` for one shipped under `packs/`. The order of
checks is YAML syntax, then the JSON Schema, then meaning (`mapping.compile_mapping`): each
stage needs the previous one to have passed, and each reports every problem it finds at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adapters.mapped_csv.mapping import CompiledMapping, compile_mapping
from adapters.mapping.problems import MappingError, MappingProblem
from adapters.mapping.schema_check import schema_problems
from adapters.mapping.yaml_lines import YamlProblem, load_with_lines

PACKS_DIR = Path(__file__).resolve().parent / "packs"
PACK_PREFIX = "pack:"


def shipped_packs() -> list[str]:
    return sorted(p.parent.name for p in PACKS_DIR.glob("*/mapping.yaml"))


def resolve_mapping_path(mapping: str) -> Path:
    """The file a `mapping` option names; raises MappingError if there is none."""
    if mapping.startswith(PACK_PREFIX):
        name = mapping[len(PACK_PREFIX):].strip()
        path = PACKS_DIR / name / "mapping.yaml"
        if not name or "/" in name or "\\" in name or not path.is_file():
            known = ", ".join(shipped_packs()) or "none"
            raise MappingError([MappingProblem(mapping, None, None, "",
                                               f"no shipped pack {name!r}; shipped: {known}")])
        return path
    path = Path(mapping)
    if not path.is_file():
        raise MappingError([MappingProblem(mapping, None, None, "", "mapping file not found")])
    return path


def load_mapping(mapping: str, variables: Mapping[str, Any] | None = None) -> CompiledMapping:
    """Load the mapping named by the `mapping` option; `variables` override its `vars`."""
    path = resolve_mapping_path(mapping)
    origin = mapping if mapping.startswith(PACK_PREFIX) else str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problem = MappingProblem(origin, None, None, "", f"cannot read: {exc}")
        raise MappingError([problem]) from None
    return parse_mapping(text, origin, variables)


def parse_mapping(
    text: str, origin: str, variables: Mapping[str, Any] | None = None
) -> CompiledMapping:
    try:
        data, lines = load_with_lines(text)
    except YamlProblem as exc:
        problem = MappingProblem(origin, exc.line, exc.column, "", exc.message)
        raise MappingError([problem]) from None
    problems = schema_problems(data, lines, origin)
    if problems:
        raise MappingError(problems)
    merged = {**data.get("vars", {}), **dict(variables or {})}
    compiled, problems = compile_mapping(data, lines, origin, merged)
    if problems:
        raise MappingError(problems)
    return compiled
