"""Checks a POST/PUT body against the resource's Data Standard 5.0 shape before anything maps
it: every property DS 5.0 defines is accepted (what the canonical model does not keep is then
dropped, see adapters/edfi_mapping/kept_and_dropped.md), and unknown properties, missing required
ones, wrong JSON types, lengths, bounds, malformed dates and descriptor URIs are reported
together, each under its JSON path, as Ed-Fi's `validationErrors` are. Descriptor values the
gateway keeps are checked against the crosswalk later, by the mapping, also at their path."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from adapters.edfi_mapping.bodies import BodyProp, BodyShape, bodies
from adapters.edfi_mapping.descriptors import UnknownDescriptor, split_uri
from adapters.edfi_mapping.resources import Resource
from gateway.edfi.problems import EdFiProblem
from gateway.sync.validate import control_character

IGNORED = frozenset({"id", "_etag", "_lastModifiedDate", "link", "_ext"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
Errors = dict[str, list[str]]


def check_body(resource: Resource, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise EdFiProblem("bad-request", "the request body must be a JSON object")
    errors: Errors = {}
    _object(_shape(resource), body, "$", errors,
            identity={p.name for p in resource.identity_props})
    if errors:
        raise EdFiProblem("bad-request:data-validation-failed",
                          "Data validation failed. See 'validationErrors' for details.",
                          errors=errors)
    return body


def _shape(resource: Resource) -> BodyShape:
    """The DS 5.0 body of a served resource; a body the table does not hold (a descriptor
    value's) is its declared flat properties, the natural-key ones required."""
    known = bodies().resources.get(resource.name)
    if known is not None:
        return known
    kinds = {"string": "string", "date": "date", "integer": "integer", "boolean": "boolean",
             "descriptor": "descriptor"}
    return BodyShape(resource.name, tuple(
        BodyProp(p.name, kinds[p.kind], required=p.identity,  # type: ignore[arg-type]
                 max_length=p.max_length) for p in resource.props))


def _add(errors: Errors, where: str, message: str) -> None:
    errors.setdefault(where, []).append(message)


def _object(shape: BodyShape, body: dict[str, Any], path: str, errors: Errors,
            identity: frozenset[str] | set[str] = frozenset()) -> None:
    for name, value in body.items():
        where = f"{path}.{name}"
        if name in IGNORED:
            continue
        prop = shape.prop(name)
        if prop is None:
            _add(errors, where, f"{name} is not a property of this resource")
        elif value is not None:
            _value(prop, value, where, errors)
    for prop in shape.props:
        if prop.required and body.get(prop.name) in (None, ""):
            why = " (it is part of the natural key)" if prop.name in identity else ""
            _add(errors, f"{path}.{prop.name}", f"{prop.name} is required{why}")


def _value(prop: BodyProp, value: Any, where: str, errors: Errors) -> None:
    if prop.kind in ("reference", "object", "list"):
        _nested(prop, value, where, errors)
        return
    problem = _scalar(prop, value)
    if problem:
        _add(errors, where, problem)


def _nested(prop: BodyProp, value: Any, where: str, errors: Errors) -> None:
    shape = bodies().nested(prop)
    if prop.kind != "list":
        if isinstance(value, dict):
            _object(shape, value, where, errors)
        else:
            _add(errors, where, "must be an object")
        return
    if not isinstance(value, list):
        _add(errors, where, "must be an array")
        return
    for n, item in enumerate(value):
        if isinstance(item, dict):
            _object(shape, item, f"{where}[{n}]", errors)
        else:
            _add(errors, f"{where}[{n}]", "must be an object")


def _scalar(prop: BodyProp, value: Any) -> str | None:
    if prop.kind in ("string", "descriptor"):
        if not isinstance(value, str):
            return f"must be a string, got {type(value).__name__}"
        if prop.max_length is not None and len(value) > prop.max_length:
            return f"must be at most {prop.max_length} characters"
        if prop.min_length is not None and len(value) < prop.min_length:
            return f"must be at least {prop.min_length} characters"
        if prop.kind == "descriptor":
            return _descriptor(value) or control_character(value)
        return control_character(value)
    if prop.kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be an integer, got {value!r}"
        low, high = _INT_RANGE.get(prop.number_format or "int64", _INT_RANGE["int64"])
        return _bounds(prop, value) or (None if low <= value <= high
                                        else f"must fit in {prop.number_format}")
    if prop.kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return _bounds(prop, value) if ok else f"must be a number, got {value!r}"
    if prop.kind == "boolean":
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
    return _date(value)


def _bounds(prop: BodyProp, value: float) -> str | None:
    if prop.minimum is not None and value < prop.minimum:
        return f"must be at least {prop.minimum:g}, got {value!r}"
    if prop.maximum is not None and value > prop.maximum:
        return f"must be at most {prop.maximum:g}, got {value!r}"
    return None


def _date(value: Any) -> str | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return f"must be a date (YYYY-MM-DD), got {value!r}"
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"is not a calendar date, got {value!r}"
    return None


def _descriptor(value: str) -> str | None:
    """A descriptor is a URI (namespace/Name#CodeValue); a bare code value is tolerated, as the
    crosswalk reads it as its own. Whether the value is one the gateway knows matters only for
    the descriptors it keeps, and the mapping checks those against the crosswalk."""
    if "#" not in value:
        return None
    try:
        split_uri(value)
    except UnknownDescriptor as exc:
        return str(exc)
    return None
