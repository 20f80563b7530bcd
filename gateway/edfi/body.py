"""Checks a POST/PUT body against the resource's declared shape before anything maps it:
unknown properties, wrong JSON types and malformed dates are reported together, each under
its JSON path, as Ed-Fi's `validationErrors` are."""

from __future__ import annotations

import re
from typing import Any

from adapters.edfi_mapping.resources import REFERENCES, Prop, Resource
from gateway.edfi.problems import EdFiProblem
from gateway.sync.validate import control_character

IGNORED = frozenset({"id", "_etag", "_lastModifiedDate", "link", "_ext"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_body(resource: Resource, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise EdFiProblem("bad-request", "the request body must be a JSON object")
    errors: dict[str, list[str]] = {}
    _object(resource.props, body, "$", errors)
    for prop in resource.identity_props:
        if body.get(prop.name) in (None, ""):
            errors.setdefault(f"$.{prop.name}", []).append(f"{prop.name} is required (it is "
                                                          "part of the natural key)")
    if errors:
        raise EdFiProblem("bad-request:data-validation-failed",
                          "Data validation failed. See 'validationErrors' for details.",
                          errors=errors)
    return body


def _object(props: tuple[Prop, ...], body: dict[str, Any], path: str,
            errors: dict[str, list[str]]) -> None:
    known = {p.name: p for p in props}
    for name, value in body.items():
        where = f"{path}.{name}"
        if name in IGNORED:
            continue
        prop = known.get(name)
        if prop is None:
            errors.setdefault(where, []).append(f"{name} is not a property of this resource")
            continue
        if value is None:
            continue
        problem = _value(prop, value, where, errors)
        if problem:
            errors.setdefault(where, []).append(problem)


def _value(prop: Prop, value: Any, where: str, errors: dict[str, list[str]]) -> str | None:
    if prop.kind in ("string", "descriptor"):
        if not isinstance(value, str):
            return f"must be a string, got {type(value).__name__}"
        if prop.max_length and len(value) > prop.max_length:
            return f"must be at most {prop.max_length} characters"
        return control_character(value)
    if prop.kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"must be an integer, got {value!r}"
    if prop.kind == "boolean":
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
    if prop.kind == "date":
        ok = isinstance(value, str) and _DATE.match(value)
        return None if ok else f"must be a date (YYYY-MM-DD), got {value!r}"
    if prop.kind == "reference":
        if not isinstance(value, dict):
            return "must be an object"
        parts = tuple((n, k) for n, k in REFERENCES[prop.reference or ""][1])
        _object(tuple(Prop(n, k) for n, k in parts), value, where, errors)
        for name, _kind in parts:
            if value.get(name) in (None, ""):
                errors.setdefault(f"{where}.{name}", []).append(f"{name} is required")
        return None
    if not isinstance(value, list):
        return "must be an array"
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            errors.setdefault(f"{where}[{n}]", []).append("must be an object")
            continue
        _object(prop.items, item, f"{where}[{n}]", errors)
    return None
