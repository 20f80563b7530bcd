"""The mapping language, compiled: entities, fields and values as frozen objects.

Shared by every declarative adapter (`mapped-csv` rows, `rest-api` JSON records): a value reads
a *column* (a CSV column, or a path into a JSON record), a template, a constant, an expression
or a lookup, then goes through the same steps in the same order (see `evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from adapters.mapping.expressions import Expression
from adapters.mapping.templates import Template

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
    """One canonical record made from each row (or, with `each`, from each item of a list
    inside the row) of `source`: a file alias for mapped-csv, a stream name for rest-api."""

    label: str
    family: str
    source: str
    id: ValueSpec
    fields: tuple[FieldSpec, ...]
    distinct: bool = False
    skip_when: Expression | None = None
    each: str | None = None

    @property
    def columns(self) -> frozenset[str]:
        cols = set(self.id.columns)
        if self.skip_when:
            cols |= self.skip_when.columns
        for spec in self.fields:
            for value in spec.values:
                cols |= value.columns
        return frozenset(cols)
