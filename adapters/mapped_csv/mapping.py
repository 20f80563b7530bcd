"""The mapping language, compiled: what a mapping file means once it has been checked.

`compile_mapping` turns the validated YAML data into frozen objects and checks what the JSON
Schema cannot: families and fields exist in `adapters.canonical`, files named by entities and
lookups are declared, expressions and templates are sound, value maps exist, and a value's
shape fits its field (a split cell only into a list field). Each problem names its YAML line.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from typing import Any, Literal

from adapters.canonical import FAMILIES
from adapters.mapped_csv.expressions import Expression, ExpressionError, compile_expression
from adapters.mapped_csv.problems import MappingProblem
from adapters.mapped_csv.templates import Template, TemplateError, parse_template
from adapters.mapped_csv.yaml_lines import LineMap, Path, render_path

LIST_KINDS = frozenset({"strings", "refs", "enums", "pairs"})
Source = Literal["column", "template", "const", "expr", "lookup"]
SOURCES: tuple[Source, ...] = ("column", "template", "const", "expr", "lookup")


def as_text(value: Any) -> str:
    """YAML scalars as the strings records carry: booleans lower-case, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class ValueMap:
    name: str
    codes: dict[str, str]
    fallback: str | None  # the '*' entry


@dataclass(frozen=True, slots=True)
class Lookup:
    file: str
    on: tuple[tuple[str, str], ...]  # (column of the lookup file, column of this row)
    column: str


@dataclass(frozen=True, slots=True)
class ValueSpec:
    source: Source
    column: str | None = None
    template: Template | None = None
    const: str | None = None
    expr: Expression | None = None
    lookup: Lookup | None = None
    default: str | None = None
    split: str | None = None
    value_map: ValueMap | None = None
    date: str | None = None
    format: Template | None = None
    contains: str | None = None
    id_type: str | None = None

    @property
    def columns(self) -> frozenset[str]:
        """Columns of the entity's own file that this value reads."""
        cols: set[str] = set()
        if self.column:
            cols.add(self.column)
        if self.template:
            cols |= self.template.columns
        if self.expr:
            cols |= self.expr.columns
        if self.lookup:
            cols |= {mine for _, mine in self.lookup.on}
        if self.format:
            cols |= self.format.columns
        return frozenset(cols)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: str
    values: tuple[ValueSpec, ...]

    @property
    def is_list(self) -> bool:
        return self.kind in LIST_KINDS


@dataclass(frozen=True, slots=True)
class EntitySpec:
    label: str
    family: str
    source: str
    id: ValueSpec
    fields: tuple[FieldSpec, ...]
    distinct: bool = False
    skip_when: Expression | None = None

    @property
    def columns(self) -> frozenset[str]:
        cols = set(self.id.columns)
        if self.skip_when:
            cols |= self.skip_when.columns
        for spec in self.fields:
            for value in spec.values:
                cols |= value.columns
        return frozenset(cols)


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


class _Compiler:
    def __init__(self, data: dict[str, Any], lines: LineMap, origin: str, variables: dict) -> None:
        self.data = data
        self.lines = lines
        self.origin = origin
        self.variables = variables
        self.problems: list[MappingProblem] = []
        self.value_maps: dict[str, ValueMap] = {}
        self.files: dict[str, FileSpec] = {}

    def fail(self, path: Path, message: str, *, key: bool = False) -> None:
        mark = self.lines.locate(path, key=key)
        line, column = mark if mark else (None, None)
        self.problems.append(MappingProblem(self.origin, line, column, render_path(path), message))

    def compile(self) -> CompiledMapping:
        for alias, spec in self.data["files"].items():
            self.files[alias] = FileSpec(alias, spec["name"])
        for name, codes in self.data.get("value_maps", {}).items():
            self.value_maps[name] = _value_map(name, codes)
        entities = []
        for index, raw in enumerate(self.data["entities"]):
            entity = self.entity(raw, ("entities", index))
            if entity:
                entities.append(entity)
        return CompiledMapping(self.origin, self.files, tuple(entities), self.variables)

    def entity(self, raw: dict[str, Any], path: Path) -> EntitySpec | None:
        family = FAMILIES.get(raw["family"])
        if family is None:
            self.fail(path + ("family",), f"unknown family {raw['family']!r}; "
                      f"known: {', '.join(FAMILIES)}")
            return None
        if raw["from"] not in self.files:
            self.fail(path + ("from",), f"unknown file {raw['from']!r}; declared under files: "
                      f"{', '.join(self.files)}")
        label = raw.get("name") or f"{family.name} from {raw['from']}"
        skip = None
        if "skip_when" in raw:
            skip = self.expression(raw["skip_when"], path + ("skip_when",))
        id_spec = self.value(raw["id"], path + ("id",), kind="string", field_name="sourcedId")
        fields: list[FieldSpec] = []
        for name, given in raw["fields"].items():
            field_path = path + ("fields", name)
            if name not in family.by_name:
                self.fail(field_path, f"{name!r} is not a field of {family.name}; known: "
                          f"{', '.join(family.by_name)}", key=True)
                continue
            kind = family.field(name).kind
            items = given if isinstance(given, list) else [given]
            if isinstance(given, list) and kind not in LIST_KINDS:
                self.fail(field_path, f"{name} holds one value; a list of values is only "
                          "allowed for list fields")
            values = [
                self.value(item, field_path + ((i,) if isinstance(given, list) else ()),
                           kind=kind, field_name=name)
                for i, item in enumerate(items)
            ]
            if all(values):
                fields.append(FieldSpec(name, kind, tuple(v for v in values if v)))
        missing = [f.name for f in family.fields if f.required and f.name not in raw["fields"]]
        if missing:
            self.fail(path + ("fields",), f"{family.name} needs {', '.join(missing)}, "
                      "which the mapping does not give", key=True)
        if id_spec is None:
            return None
        return EntitySpec(label, family.name, raw["from"], id_spec, tuple(fields),
                          bool(raw.get("distinct", False)), skip)

    def value(self, raw: Any, path: Path, *, kind: str, field_name: str) -> ValueSpec | None:
        if isinstance(raw, str):
            raw = {"column": raw}
        before = len(self.problems)
        source = next(s for s in SOURCES if s in raw)
        spec = ValueSpec(
            source=source,
            column=raw.get("column"),
            template=self.template(raw["template"], path + ("template",))
            if "template" in raw else None,
            const=as_text(raw["const"]) if "const" in raw else None,
            expr=self.expression(raw["expr"], path + ("expr",)) if "expr" in raw else None,
            lookup=self.lookup(raw["lookup"], path + ("lookup",)) if "lookup" in raw else None,
            default=as_text(raw["default"]) if "default" in raw else None,
            split=raw.get("split"),
            value_map=self.value_map(raw["map"], path + ("map",)) if "map" in raw else None,
            date=raw.get("date"),
            format=self.template(raw["format"], path + ("format",), allow_value=True)
            if "format" in raw else None,
            contains=as_text(raw["contains"]) if "contains" in raw else None,
            id_type=raw.get("id_type"),
        )
        self.check_shape(spec, path, kind, field_name)
        return spec if len(self.problems) == before else None

    def check_shape(self, spec: ValueSpec, path: Path, kind: str, field_name: str) -> None:
        if spec.split and spec.contains is None and kind not in LIST_KINDS:
            self.fail(path + ("split",), f"split makes a list, but {field_name} holds one value "
                      "(add 'contains' to test for one code)")
        if kind == "pairs" and spec.id_type is None:
            self.fail(path, f"{field_name} holds typed identifiers: add id_type (e.g. id_type: "
                      "state)")
        if spec.id_type is not None and kind != "pairs":
            self.fail(path + ("id_type",), f"id_type only applies to userIds, not {field_name}")
        if spec.date is not None and "%" not in spec.date:
            self.fail(path + ("date",), f"date format {spec.date!r} has no strptime codes "
                      "(write e.g. %m/%d/%Y)")

    def template(self, text: str, path: Path, *, allow_value: bool = False) -> Template | None:
        try:
            return parse_template(text, self.variables, allow_value=allow_value)
        except TemplateError as exc:
            self.fail(path, str(exc))
            return None

    def expression(self, text: str, path: Path) -> Expression | None:
        try:
            return compile_expression(text, self.variables)
        except ExpressionError as exc:
            self.fail(path, str(exc))
            return None

    def lookup(self, raw: dict[str, Any], path: Path) -> Lookup | None:
        if raw["file"] not in self.files:
            self.fail(path + ("file",), f"lookup names unknown file {raw['file']!r}; declared: "
                      f"{', '.join(self.files)}")
            return None
        return Lookup(raw["file"], tuple(raw["on"].items()), raw["column"])

    def value_map(self, raw: str | dict[str, Any], path: Path) -> ValueMap | None:
        if isinstance(raw, dict):
            return _value_map(render_path(path), raw)
        if raw not in self.value_maps:
            known = ", ".join(self.value_maps) or "none"
            self.fail(path, f"unknown value map {raw!r}; declared under value_maps: {known}")
            return None
        return self.value_maps[raw]


def _value_map(name: str, codes: MappingType[str, Any]) -> ValueMap:
    table = {str(code): as_text(value) for code, value in codes.items() if code != "*"}
    fallback = as_text(codes["*"]) if "*" in codes else None
    return ValueMap(name, table, fallback)


def compile_mapping(
    data: dict[str, Any], lines: LineMap, origin: str, variables: dict[str, Any]
) -> tuple[CompiledMapping, list[MappingProblem]]:
    """Compile schema-valid data; the problems list is empty when the mapping can be used."""
    compiler = _Compiler(data, lines, origin, variables)
    mapping = compiler.compile()
    return mapping, compiler.problems
