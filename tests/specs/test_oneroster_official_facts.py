"""Our OneRoster 1.2 Rostering OpenAPI (specs/oneroster/v1p2/rostering.openapi.json) agrees with
the official document's facts (specs/oneroster/v1p2/official-rostering-facts.json) on every
entity's properties, required properties, types, formats and enumerations, nested objects,
GUIDRefs and the error body; and the facts name the document they were read from."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.specs import SPECS_DIR
from tests.oneroster.official_facts import entity, error_schema, facts, nested

OURS: dict[str, Any] = json.loads(
    (SPECS_DIR / "oneroster" / "v1p2" / "rostering.openapi.json").read_text(encoding="utf-8"))


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = OURS["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def shape(schema: dict[str, Any], *, ours: bool) -> Any:
    """A comparable summary of a schema: what a value must be, without descriptions or the
    spelling of the extension pattern (ours is anchored, the official one is not)."""
    schema = _resolve(schema) if ours else schema
    if "anyOf" in schema:
        closed = next(s for s in schema["anyOf"] if "enum" in s)
        return ("ext", tuple(closed["enum"]))
    if schema.get("type") == "array":
        return ("array", schema.get("minItems", 0), shape(schema["items"], ours=ours))
    if schema.get("type") == "object" and "properties" in schema:
        props = schema["properties"]
        if set(props) == {"href", "sourcedId", "type"}:
            return ("ref", tuple(props["type"]["enum"]))
        return ("object", tuple(sorted(schema.get("required", []))),
                schema.get("additionalProperties", True),
                tuple((p, shape(s, ours=ours)) for p, s in sorted(props.items())))
    return (schema.get("type"), schema.get("format"), tuple(schema.get("enum", ())))


def _ours(name: str) -> dict[str, Any]:
    return OURS["components"]["schemas"][name]


@pytest.mark.parametrize("name", sorted(facts()["entities"]))
def test_each_entity_of_our_spec_matches_the_official_facts(name):
    assert shape(_ours(name), ours=True) == shape(entity(name), ours=False)


@pytest.mark.parametrize("name", sorted(facts()["nested"]))
def test_each_nested_object_of_our_spec_matches_the_official_facts(name):
    assert shape(_ours(name), ours=True) == shape(nested(name), ours=False)


def test_our_error_body_matches_the_official_facts():
    ours = shape(_ours("imsx_StatusInfo"), ours=True)
    assert ours == shape(error_schema(), ours=False)


def test_the_comparison_notices_a_field_no_longer_required_and_a_changed_vocabulary():
    org = json.loads(json.dumps(_ours("Org")))
    org["required"].remove("identifier")
    assert shape(org, ours=True) != shape(entity("Org"), ours=False)
    role = json.loads(json.dumps(_ours("Role")))
    role["properties"]["roleType"]["enum"].append("tertiary")
    assert shape(role, ours=True) != shape(nested("Role"), ours=False)


def test_the_facts_name_the_official_document_and_the_commit_read():
    source = facts()["source"]
    assert source["repository"] == "1EdTech/oneroster-bootcamp"
    assert source["path"].endswith("onerosterv1p2rostersservice_openapi3_v1p0.json")
    assert len(source["commit"]) == 40 and int(source["commit"], 16) >= 0
