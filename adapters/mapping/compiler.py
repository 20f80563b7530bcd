"""Compiles the entities of a schema-valid mapping document and checks what a JSON Schema
cannot: families and fields exist in `adapters.canonical`, expressions and templates are sound,
value maps and lookup files exist, and a value's shape fits its field (a split cell only into a
list field). Each problem names its YAML line.

The adapter that owns the document says what a column is (`check_column`: a CSV header name
needs no check, a JSON path must parse) and which files lookups may name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from collections.abc import Mapping as MappingType
from typing import Any

from adapters.canonical import FAMILIES
from adapters.mapping.expressions import Expression, ExpressionError, compile_expression
from adapters.mapping.problems import MappingProblem
from adapters.mapping.specs import (
    LIST_KINDS,
    SOURCES,
    EntitySpec,
    FieldSpec,
    Lookup,
    ValueMap,
    ValueSpec,
    as_text,
)
from adapters.mapping.templates import Template, TemplateError, parse_template
from adapters.mapping.yaml_lines import LineMap, Path, render_path

ColumnCheck = Callable[[str], str | None]


def _any_column(_column: str) -> str | None:
    return None


class EntityCompiler:
    """Compiles entities one by one, collecting every problem (never stopping at the first)."""

    def __init__(self, lines: LineMap, origin: str, variables: dict[str, Any], *,
                 value_maps: MappingType[str, Any] | None = None,
                 lookup_files: Collection[str] = (), check_column: ColumnCheck = _any_column,
                 pairs_need_id_type: bool = True) -> None:
        self.lines = lines
        self.origin = origin
        self.variables = variables
        self.problems: list[MappingProblem] = []
        self.value_maps = {name: _value_map(name, codes)
                           for name, codes in (value_maps or {}).items()}
        self.lookup_files = lookup_files
        self.check_column = check_column
        self.pairs_need_id_type = pairs_need_id_type

    def fail(self, path: Path, message: str, *, key: bool = False) -> None:
        mark = self.lines.locate(path, key=key)
        line, column = mark if mark else (None, None)
        self.problems.append(MappingProblem(self.origin, line, column, render_path(path), message))

    def entity(self, raw: dict[str, Any], path: Path, source: str) -> EntitySpec | None:
        family = FAMILIES.get(raw["family"])
        if family is None:
            self.fail(path + ("family",), f"unknown family {raw['family']!r}; "
                      f"known: {', '.join(FAMILIES)}")
            return None
        label = raw.get("name") or f"{family.name} from {source}"
        skip = None
        if "skip_when" in raw:
            skip = self.expression(raw["skip_when"], path + ("skip_when",))
        each = raw.get("each")
        if each is not None:
            self.column(each, path + ("each",))
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
        return EntitySpec(label, family.name, source, id_spec, tuple(fields),
                          bool(raw.get("distinct", False)), skip, each)

    def value(self, raw: Any, path: Path, *, kind: str, field_name: str) -> ValueSpec | None:
        column_path = path if isinstance(raw, str) else path + ("column",)
        if isinstance(raw, str):
            raw = {"column": raw}
        before = len(self.problems)
        source = next(s for s in SOURCES if s in raw)
        if "column" in raw:
            self.column(raw["column"], column_path)
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
        if kind == "pairs" and spec.id_type is None and self.pairs_need_id_type:
            self.fail(path, f"{field_name} holds typed identifiers: add id_type (e.g. id_type: "
                      "state)")
        if spec.id_type is not None and kind != "pairs":
            self.fail(path + ("id_type",), f"id_type only applies to userIds, not {field_name}")
        if spec.date is not None and "%" not in spec.date:
            self.fail(path + ("date",), f"date format {spec.date!r} has no strptime codes "
                      "(write e.g. %m/%d/%Y)")

    def column(self, column: str, path: Path) -> None:
        problem = self.check_column(column)
        if problem:
            self.fail(path, problem)

    def template(self, text: str, path: Path, *, allow_value: bool = False) -> Template | None:
        try:
            template = parse_template(text, self.variables, allow_value=allow_value)
        except TemplateError as exc:
            self.fail(path, str(exc))
            return None
        for column in sorted(template.columns):
            self.column(column, path)
        return template

    def expression(self, text: str, path: Path) -> Expression | None:
        try:
            return compile_expression(text, self.variables)
        except ExpressionError as exc:
            self.fail(path, str(exc))
            return None

    def lookup(self, raw: dict[str, Any], path: Path) -> Lookup | None:
        if raw["file"] not in self.lookup_files:
            self.fail(path + ("file",), f"lookup names unknown file {raw['file']!r}; declared: "
                      f"{', '.join(self.lookup_files)}")
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
