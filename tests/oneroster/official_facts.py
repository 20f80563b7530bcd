"""The official OneRoster 1.2 Rostering document's requirements, as JSON Schemas built from the
facts recorded in specs/oneroster/v1p2/official-rostering-facts.json (the official document is
not in the project; the facts say which one was read, at which commit)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from gateway.specs import SPECS_DIR

FACTS_PATH = SPECS_DIR / "oneroster" / "v1p2" / "official-rostering-facts.json"


@cache
def facts() -> dict[str, Any]:
    return json.loads(FACTS_PATH.read_text(encoding="utf-8"))


def _guidref(kind: str) -> dict[str, Any]:
    return {"type": "object", "required": ["href", "sourcedId", "type"],
            "properties": {"href": {"type": "string", "format": "uri"},
                           "sourcedId": {"type": "string"},
                           "type": {"type": "string", "enum": [kind]}},
            "additionalProperties": False}


def schema_of(token: str) -> dict[str, Any]:
    """The JSON Schema of one type token (see the facts file's $comment)."""
    kind, _, arg = token.partition(":")
    simple = {"string": {"type": "string"}, "date": {"type": "string", "format": "date"},
              "datetime": {"type": "string", "format": "date-time"},
              "uri": {"type": "string", "format": "uri"},
              "bool": {"type": "string", "enum": ["true", "false"]},
              "strings": {"type": "array", "items": {"type": "string"}},
              "object": {"type": "object"}}
    if kind in simple:
        return simple[kind]
    values = arg.split(",")
    if kind == "enum":
        return {"type": "string", "enum": values}
    if kind == "ext":
        return {"anyOf": [{"type": "string", "enum": values},
                          {"type": "string", "pattern": facts()["extension_pattern"]}]}
    if kind == "ref":
        return _guidref(arg)
    if kind in ("refs", "refs+"):
        return {"type": "array", "items": _guidref(arg), "minItems": 1 if kind == "refs+" else 0}
    if kind in ("objs", "objs+"):
        return {"type": "array", "items": nested(arg), "minItems": 1 if kind == "objs+" else 0}
    raise ValueError(f"unknown type token {token!r}")


def nested(name: str) -> dict[str, Any]:
    spec = facts()["nested"][name]
    return {"type": "object", "required": spec["required"],
            "properties": {p: schema_of(t) for p, t in spec["properties"].items()},
            "additionalProperties": spec["additional_properties"]}


def entity(name: str) -> dict[str, Any]:
    base, spec = facts()["base"], facts()["entities"][name]
    properties = {**base["properties"], **spec["properties"]}
    return {"type": "object", "required": [*base["required"], *spec["required"]],
            "properties": {p: schema_of(t) for p, t in properties.items()},
            "additionalProperties": False}


def envelope(key: str, single: bool) -> tuple[str, dict[str, Any]]:
    """The entity and envelope schema of a response body whose one key is `key` (demographics
    uses one key for both)."""
    for name, spec in facts()["entities"].items():
        if key == spec["collection"] and not single:
            return name, {"type": "object", "properties": {key: {"type": "array",
                                                                 "items": entity(name)}},
                          "additionalProperties": False}
        if key == spec["single"]:
            return name, {"type": "object", "required": [key],
                          "properties": {key: entity(name)}, "additionalProperties": False}
    raise KeyError(f"no official rostering entity has the envelope key {key!r}")


def error_schema() -> dict[str, Any]:
    spec = facts()["error"]
    minor = spec["code_minor"]
    properties = {p: schema_of(t) for p, t in spec["properties"].items()}
    properties["imsx_CodeMinor"] = {
        "type": "object", "required": minor["required"], "additionalProperties": False,
        "properties": {"imsx_codeMinorField": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": minor["field_required"],
            "additionalProperties": False,
            "properties": {"imsx_codeMinorFieldName": {"type": "string"},
                           "imsx_codeMinorFieldValue": {"type": "string",
                                                        "enum": minor["values"]}}}}}}
    return {"type": "object", "required": spec["required"], "properties": properties,
            "additionalProperties": spec["additional_properties"]}


def problems(body: Any, *, status: int = 200) -> list[str]:
    """Where a served rostering body breaks the official document, as `pointer: message`."""
    if status >= 400:
        schema = error_schema()
    else:
        assert isinstance(body, dict) and len(body) == 1, f"not one envelope key: {body!r}"
        key = next(iter(body))
        _name, schema = envelope(key, single=isinstance(body[key], dict))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return sorted(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(body))
