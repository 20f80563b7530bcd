"""A mapped-csv mapping, compiled: the export's files and the entities each row feeds.

The entity and value language itself is shared with the other declarative adapters
(`adapters.mapping`); what is particular to a CSV export is here: files under short names, each
entity reading the rows of one of them (`from`), lookups into small files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.canonical import FAMILIES
from adapters.mapping.compiler import EntityCompiler
from adapters.mapping.problems import MappingProblem
from adapters.mapping.specs import EntitySpec, Lookup
from adapters.mapping.yaml_lines import LineMap


@dataclass(frozen=True, slots=True)
class FileSpec:
    alias: str
    name: str


@dataclass(frozen=True)
class CompiledMapping:
    origin: str
    files: dict[str, FileSpec]
    entities: tuple[EntitySpec, ...]
    variables: dict[str, Any] = field(default_factory=dict)

    @property
    def families(self) -> list[str]:
        """Families produced, in the canonical apply order."""
        made = {e.family for e in self.entities}
        return [name for name in FAMILIES if name in made]

    def entities_from(self, alias: str) -> tuple[EntitySpec, ...]:
        return tuple(e for e in self.entities if e.source == alias)

    def lookups_on(self, alias: str) -> set[Lookup]:
        found: set[Lookup] = set()
        for entity in self.entities:
            for spec in entity.fields:
                found |= {v.lookup for v in spec.values if v.lookup and v.lookup.file == alias}
        return found

    def needed_columns(self, alias: str) -> dict[str, list[str]]:
        """Column -> what needs it (for the 'missing column' message and dropped columns)."""
        needed: dict[str, list[str]] = {}
        for entity in self.entities_from(alias):
            for column in sorted(entity.columns):
                needed.setdefault(column, []).append(entity.label)
        for lookup in self.lookups_on(alias):
            for column in [theirs for theirs, _ in lookup.on] + [lookup.column]:
                needed.setdefault(column, []).append(f"lookup of {lookup.column}")
        return needed


def compile_mapping(
    data: dict[str, Any], lines: LineMap, origin: str, variables: dict[str, Any]
) -> tuple[CompiledMapping, list[MappingProblem]]:
    """Compile schema-valid data; the problems list is empty when the mapping can be used."""
    files = {alias: FileSpec(alias, spec["name"]) for alias, spec in data["files"].items()}
    compiler = EntityCompiler(lines, origin, variables, value_maps=data.get("value_maps"),
                              lookup_files=list(files))
    entities = []
    for index, raw in enumerate(data["entities"]):
        path = ("entities", index)
        if raw["from"] not in files:
            compiler.fail(path + ("from",), f"unknown file {raw['from']!r}; declared under "
                          f"files: {', '.join(files)}")
        entity = compiler.entity(raw, path, raw["from"])
        if entity:
            entities.append(entity)
    return CompiledMapping(origin, files, tuple(entities), variables), compiler.problems
