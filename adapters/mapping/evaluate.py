"""Applies one compiled entity to one row: a canonical Record, or the reasons it cannot be one.

A row is a mapping of column to value: CSV cells (text), or a JSON record seen through
`adapters.mapping.json_rows` (a column is then a path and a value may be a number, a boolean,
a list or an object). Values are brought to the text and lists of text records carry, objects
kept whole (`userIds` pairs).

Every value goes through the same steps in the same order, so a mapping reads predictably:
source (column, template, const, expr or lookup) -> default when blank -> split -> map ->
date -> format -> contains -> id_type. Blank results are left out of the record. A problem in
any field rejects the row for this entity (other entities of the same row are unaffected).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.mapping.expressions import ExpressionError
from adapters.mapping.specs import EntitySpec, Lookup, ValueMap, ValueSpec, as_text
from adapters.mapping.templates import Template, TemplateError
from adapters.records import Issue, Record

LookupIndex = dict[tuple[str, ...], dict[str, str]]


class RowProblem(Exception):
    def __init__(self, reason: str, value: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value


@dataclass
class RowContext:
    """What an entity needs besides the row: variables, lookup tables and the files' names."""

    variables: Mapping[str, Any]
    lookups: dict[Lookup, LookupIndex]
    file_names: Mapping[str, str]


def _normalise(result: Any) -> Any:
    if result is None:
        return None
    if isinstance(result, list | tuple):
        items = [_normalise(item) for item in result]
        return [item for item in items if item not in (None, "")]
    if isinstance(result, dict):
        return {str(k): _normalise(v) for k, v in result.items() if v is not None}
    if isinstance(result, float) and result.is_integer():
        return str(int(result))
    return as_text(result)


def _render(template: Template, row: Mapping[str, Any], value: str | None = None) -> str | None:
    try:
        return template.render(row, value)
    except TemplateError as exc:
        raise RowProblem(f"template {template.text!r}: {exc}") from None


def _source(spec: ValueSpec, row: Mapping[str, Any], ctx: RowContext) -> Any:
    if spec.source == "column":
        value = row.get(spec.column or "", "")
        return value if isinstance(value, str) else _normalise(value)
    if spec.source == "template" and spec.template:
        return _render(spec.template, row)
    if spec.source == "const":
        return spec.const
    if spec.source == "expr" and spec.expr:
        try:
            return _normalise(spec.expr.evaluate(row, ctx.variables))
        except ExpressionError as exc:
            raise RowProblem(f"expression {spec.expr.text!r} failed: {exc}") from None
    assert spec.lookup is not None
    return _lookup(spec.lookup, row, ctx)


def _lookup(lookup: Lookup, row: Mapping[str, Any], ctx: RowContext) -> str | None:
    key = tuple(row.get(mine, "") for _, mine in lookup.on)
    if not all(key):
        return None
    found = ctx.lookups[lookup].get(key)
    if found is None:
        wanted = ", ".join(f"{theirs}={k}" for (theirs, _), k in zip(lookup.on, key, strict=True))
        raise RowProblem(f"no row in {ctx.file_names[lookup.file]} with {wanted}", ", ".join(key))
    return found.get(lookup.column, "")


def _map_code(value_map: ValueMap, code: Any) -> str:
    if not isinstance(code, str):
        raise RowProblem(f"value map {value_map.name} translates codes, got a "
                         f"{type(code).__name__}", str(code)[:200])
    if code in value_map.codes:
        return value_map.codes[code]
    if value_map.fallback is not None:
        return value_map.fallback
    known = ", ".join(value_map.codes)
    raise RowProblem(f"code {code!r} is not in value map {value_map.name} (known: {known})", code)


def _to_date(text: Any, fmt: str) -> str:
    if not isinstance(text, str):
        raise RowProblem(f"a date is text, got a {type(text).__name__}", str(text)[:200])
    try:
        return datetime.strptime(text, fmt).date().isoformat()
    except ValueError:
        raise RowProblem(f"{text!r} is not a date in the format {fmt}", text) from None


def evaluate_value(spec: ValueSpec, row: Mapping[str, Any], ctx: RowContext) -> Any:
    """The value for one row (str, list or None when blank); raises RowProblem."""
    value = _source(spec, row, ctx)
    if value in (None, "", []):
        if spec.default is None:
            return None
        value = spec.default
    items = value if isinstance(value, list) else None
    if spec.split and items is None:
        items = [part.strip() for part in str(value).split(spec.split) if part.strip()]
    values: list[Any] = items if items is not None else [value]
    if spec.value_map:
        values = [_map_code(spec.value_map, v) for v in values]
    if spec.date:
        values = [_to_date(v, spec.date) for v in values]
    if spec.format:
        values = [_render(spec.format, row, v) for v in values]
        values = [v for v in values if v]
    if spec.contains is not None:
        return "true" if spec.contains in values else "false"
    if spec.id_type:
        values = [{"type": spec.id_type, "identifier": v} for v in values]
    if items is None:
        return values[0] if values else None
    return values


def _field_label(name: str, spec: ValueSpec) -> str:
    columns = sorted(spec.columns)
    if spec.lookup:
        columns.append(f"{spec.lookup.file}.{spec.lookup.column}")
    return f"{name} ({', '.join(columns)})" if columns else name


def build_record(
    entity: EntitySpec, row: Mapping[str, Any], file: str, line: int, ctx: RowContext
) -> Record | list[Issue] | None:
    """A Record, the row's problems for this entity, or None when a skip rule drops the row."""

    def issue(reason: str, field: str, value: str | None, sourced_id: str | None) -> Issue:
        return Issue("error", reason, file, line, field, value, entity.family, sourced_id)

    if entity.skip_when:
        try:
            if entity.skip_when.evaluate(row, ctx.variables):
                return None
        except ExpressionError as exc:
            columns = ", ".join(sorted(entity.skip_when.columns))
            return [issue(f"skip_when {entity.skip_when.text!r} failed: {exc}",
                          f"skip_when ({columns})", None, None)]
    try:
        sourced_id = evaluate_value(entity.id, row, ctx)
    except RowProblem as exc:
        return [issue(exc.reason, _field_label("sourcedId", entity.id), exc.value, None)]
    if not sourced_id or not isinstance(sourced_id, str):
        columns = ", ".join(sorted(c for c in entity.id.columns if row.get(c) in (None, "")))
        reason = f"no sourcedId: key column(s) {columns} blank" if columns else "no sourcedId"
        return [issue(reason, _field_label("sourcedId", entity.id), None, None)]
    fields: dict[str, Any] = {}
    problems: list[Issue] = []
    for spec in entity.fields:
        collected: list[Any] = []
        for value_spec in spec.values:
            try:
                value = evaluate_value(value_spec, row, ctx)
            except RowProblem as exc:
                label = _field_label(spec.name, value_spec)
                problems.append(issue(exc.reason, label, exc.value, sourced_id))
                continue
            if value in (None, "", []):
                continue
            if isinstance(value, list | dict) and not spec.is_list:
                label = _field_label(spec.name, value_spec)
                shape = "a list" if isinstance(value, list) else "an object"
                shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                problems.append(issue(f"{spec.name} holds one value, got {shape}", label,
                                      shown[:200], sourced_id))
                continue
            collected.extend(value if isinstance(value, list) else [value])
        if collected:
            fields[spec.name] = collected if spec.is_list else collected[0]
    if problems:
        return problems
    return Record(entity.family, sourced_id, fields, file, line)
