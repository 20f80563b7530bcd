"""specs/edfi/openapi.json describes Data Standard 5.0 bodies: generated from our own tables
(specs/edfi/ds5_bodies.txt, adapters/edfi_mapping/resources.py), current, and equal to the
official DS 5.0 resources OpenAPI on properties, required properties, types, formats, lengths,
bounds and enums for every served resource, nested collections and references included."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.edfi_mapping.bodies import bodies
from adapters.edfi_mapping.resources import RESOURCES
from specs.edfi import build_openapi
from tests.standards import official_edfi_resources

OURS: dict[str, Any] = json.loads(build_openapi.OUT.read_text(encoding="utf-8"))
# Server-side properties of every item, which both documents carry in their own way.
BOOKKEEPING = frozenset({"id", "_etag", "_lastModifiedDate", "_ext", "link"})
COMPARED = ("type", "format", "maxLength", "minLength", "minimum", "maximum", "enum")
# `parents` is the Data Standard 4 name of contacts; DS 5.0 has no such resource.
DS5_RESOURCES = sorted(r for r in RESOURCES if r != "parents")


def test_the_served_document_and_the_kept_account_are_generated_and_current():
    assert build_openapi.OUT.read_text(encoding="utf-8") == build_openapi.render()
    assert build_openapi.KEPT_DOC.read_text(encoding="utf-8") == build_openapi.render_kept()


def test_every_property_the_gateway_keeps_is_a_ds5_property_of_the_same_kind():
    table = bodies()
    kinds = {"array": "list", "reference": "reference", "descriptor": "descriptor",
             "string": "string", "integer": "integer", "date": "date", "boolean": "boolean"}
    for name, resource in RESOURCES.items():
        shape = table.resources[name]
        for prop in resource.props:
            body = shape.prop(prop.name)
            assert body is not None, f"{name}.{prop.name} is not in DS 5.0"
            assert body.kind == kinds[prop.kind], f"{name}.{prop.name}"
            for item in prop.items:
                assert table.nested(body).prop(item.name) is not None, f"{name}.{prop.name}"


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "allOf" in schema and len(schema["allOf"]) == 1:
            schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        elif "$ref" in schema:
            target = schema["$ref"].split("/")[-1]
            schema = {**document["components"]["schemas"][target],
                      **{k: v for k, v in schema.items() if k != "$ref"}}
        else:
            return schema


def _differences(ours: dict[str, Any], theirs: dict[str, Any], where: str) -> list[str]:
    ours, theirs = _resolve(OURS, ours), _resolve(OFFICIAL(), theirs)
    found: list[str] = []
    if theirs.get("type") == "array" or ours.get("type") == "array":
        if ours.get("type") != theirs.get("type"):
            return [f"{where}: type {ours.get('type')} vs {theirs.get('type')}"]
        return _differences(ours["items"], theirs["items"], f"{where}[]")
    if "properties" in theirs or "properties" in ours:
        mine = set(ours.get("properties", {})) - BOOKKEEPING
        official = set(theirs.get("properties", {})) - BOOKKEEPING
        found += [f"{where}.{p}: missing" for p in sorted(official - mine)]
        found += [f"{where}.{p}: not in DS 5.0" for p in sorted(mine - official)]
        required = (set(ours.get("required", [])) - BOOKKEEPING,
                    set(theirs.get("required", [])) - BOOKKEEPING)
        if required[0] != required[1]:
            found.append(f"{where}: required {sorted(required[0])} vs {sorted(required[1])}")
        for prop in sorted(mine & official):
            found += _differences(ours["properties"][prop], theirs["properties"][prop],
                                  f"{where}.{prop}")
        return found
    for key in COMPARED:
        if ours.get(key) != theirs.get(key):
            found.append(f"{where}: {key} {ours.get(key)!r} vs {theirs.get(key)!r}")
    return found


def OFFICIAL() -> dict[str, Any]:  # noqa: N802 - reads like the constant it stands for
    return official_edfi_resources()


@pytest.mark.parametrize("resource", DS5_RESOURCES)
def test_our_resource_schema_matches_the_official_ds5_one(resource):
    official = OFFICIAL()
    item = official["paths"][f"/ed-fi/{resource}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["items"]
    ours = {"$ref": f"#/components/schemas/edFi_{resource}"}
    assert _differences(ours, item, resource) == []


def test_the_comparison_notices_a_changed_length_a_lost_requirement_and_a_missing_property():
    official = OFFICIAL()
    item = official["paths"]["/ed-fi/students"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["items"]
    ours = json.loads(json.dumps(OURS["components"]["schemas"]["edFi_students"]))
    ours["properties"]["firstName"]["maxLength"] = 80
    ours["required"].remove("birthDate")
    del ours["properties"]["maidenName"]
    found = _differences(ours, item, "students")
    assert "students.maidenName: missing" in found
    assert any(f.startswith("students: required") for f in found)
    assert "students.firstName: maxLength 80 vs 75" in found
