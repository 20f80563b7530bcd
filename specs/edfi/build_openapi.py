"""Writes specs/edfi/openapi.json (OpenAPI 3.0) from the Data Standard 5.0 body table
(specs/edfi/ds5_bodies.txt) and the resource table in adapters/edfi_mapping/resources.py (what is
kept, where, and what is served when a source lacks it), and the per-resource account of what is
kept and dropped (adapters/edfi_mapping/kept_and_dropped.md), so the served document, the
validator in the tests, the documentation and the code cannot drift apart. Descriptions are our
own. Run: `python specs/edfi/build_openapi.py`; a test checks both files are current."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from adapters.edfi_mapping.bodies import BodyProp, BodyShape, bodies  # noqa: E402
from adapters.edfi_mapping.descriptors import crosswalk  # noqa: E402
from adapters.edfi_mapping.resources import KEY_UPDATABLE, RESOURCES  # noqa: E402
from adapters.edfi_mapping.to_canonical import WRITABLE  # noqa: E402

OUT = Path(__file__).with_name("openapi.json")
KEPT_DOC = ROOT / "adapters" / "edfi_mapping" / "kept_and_dropped.md"
LINK = {"type": "object", "properties": {"rel": {"type": "string"}, "href": {"type": "string"}},
        "required": ["rel", "href"], "additionalProperties": False}
DROPPED = "Accepted and validated; not kept (minimal data), so never served."


def _scalar(prop: BodyProp) -> dict[str, Any]:
    schema: dict[str, Any]
    if prop.kind in ("string", "descriptor"):
        schema = {"type": "string"}
        if prop.kind == "descriptor":
            schema["description"] = "A descriptor URI: namespace/DescriptorName#CodeValue"
    elif prop.kind == "date":
        schema = {"type": "string", "format": "date"}
    elif prop.kind == "boolean":
        schema = {"type": "boolean"}
    else:
        schema = {"type": prop.kind, "format": prop.number_format}
    for key, value in (("minLength", prop.min_length), ("maxLength", prop.max_length)):
        if value is not None:
            schema[key] = value
    for key, value in (("minimum", prop.minimum), ("maximum", prop.maximum)):
        if value is not None:
            schema[key] = int(value) if float(value).is_integer() else value
    return schema


def _schema_of(prop: BodyProp) -> dict[str, Any]:
    if prop.kind == "reference":
        return {"$ref": f"#/components/schemas/{prop.target}"}
    if prop.kind == "object":
        return {"$ref": f"#/components/schemas/item_{prop.target}"}
    if prop.kind == "list":
        return {"type": "array", "items": {"$ref": f"#/components/schemas/item_{prop.target}"}}
    return _scalar(prop)


def _properties(shape: BodyShape) -> dict[str, Any]:
    return {p.name: _schema_of(p) for p in shape.props}


def _described(schema: dict[str, Any], text: str) -> dict[str, Any]:
    if "$ref" in schema:  # OpenAPI 3.0 ignores siblings of $ref: wrap it
        return {"allOf": [schema], "description": text}
    return {**schema, "description": (schema.get("description", "") + ". " + text).lstrip(". ")}


def kept(resource: str, name: str) -> str:
    """What the gateway does with one top-level property of a resource's body."""
    prop = RESOURCES[resource].prop(name)
    if prop is None:
        return DROPPED
    where = ", ".join(prop.sources)
    text = f"Kept as {where}." if where else "Not kept."
    if prop.identity:
        text = f"Natural key part; kept as {where}." if where else "Natural key part."
    if prop.fallback:
        text += f" Served: {prop.fallback}."
    return text


def _resource_schema(name: str, *, read: bool) -> dict[str, Any]:
    res, shape = RESOURCES[name], bodies().resources[name]
    props: dict[str, Any] = {"id": {"type": "string", "pattern": "^[0-9a-f]{32}$",
                                    "description": "The resource identifier (32 hex digits)"}}
    props |= {p: _described(s, kept(name, p)) for p, s in _properties(shape).items()}
    props["_etag"] = {"type": "string", "description": "Changes whenever the item changes"}
    props["_lastModifiedDate"] = {"type": "string", "format": "date-time"}
    if not read:
        props["_ext"] = {"type": "object", "description": "Extensions: accepted, ignored"}
    required = [*(["id"] if read else []), *shape.required]
    title = res.title if read else f"{res.title}, as written (POST, PUT)"
    return {"type": "object", "description": title, "properties": props,
            "required": required, "additionalProperties": False}


def _readable(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The resource as a read profile may narrow it: the natural key and id stay required."""
    keep = {"id", *(p.name for p in RESOURCES[name].identity_props)}
    return {**schema, "description": f"{schema['description']}, as a read profile narrows it",
            "required": [r for r in schema["required"] if r in keep]}


def _reference(shape: BodyShape) -> dict[str, Any]:
    return {"type": "object", "properties": {**_properties(shape), "link": LINK},
            "required": list(shape.required), "additionalProperties": False}


def _item(shape: BodyShape) -> dict[str, Any]:
    return {"type": "object", "properties": _properties(shape),
            "required": list(shape.required), "additionalProperties": False}


def _problem() -> dict[str, Any]:
    return {"type": "object", "required": ["type", "title", "status", "detail",
                                           "correlationId"],
            "properties": {"type": {"type": "string", "pattern": "^urn:ed-fi:api:"},
                           "title": {"type": "string"}, "status": {"type": "integer"},
                           "detail": {"type": "string"}, "correlationId": {"type": "string"},
                           "validationErrors": {"type": "object", "additionalProperties": {
                               "type": "array", "items": {"type": "string"}}},
                           "errors": {"type": "array", "items": {"type": "string"}}}}


def _json(schema: dict[str, Any], description: str,
          partial: str | None = None) -> dict[str, Any]:
    """A JSON response; `partial` names the schema of the same response narrowed by a read
    profile (the agreement's field allowlist), which may leave out required properties."""
    media: dict[str, Any] = {"schema": schema}
    if partial is not None:
        media["x-partial-schema"] = partial
    return {"description": description, "content": {"application/json": media}}


PROBLEM = {"description": "A problem (RFC 9457)", "content": {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/problemDetails"}}}}
ERRORS = {"400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "404": PROBLEM}
PAGING = [
    {"name": n, "in": "query", "required": False, "schema": s, "description": d}
    for n, s, d in (
        ("offset", {"type": "integer", "minimum": 0}, "Items to skip"),
        ("limit", {"type": "integer", "minimum": 0, "maximum": 500}, "Page size (default 25)"),
        ("totalCount", {"type": "boolean"}, "Send the Total-Count header"),
        ("pageToken", {"type": "string"}, "Cursor from the Next-Page-Token header"),
        ("pageSize", {"type": "integer", "minimum": 0, "maximum": 500}, "Cursor page size"),
        ("minChangeVersion", {"type": "integer", "minimum": 0}, "Changed at or after"),
        ("maxChangeVersion", {"type": "integer", "minimum": 0}, "Changed at or before"),
    )
]
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name in RESOURCES:
        ref = {"$ref": f"#/components/schemas/edFi_{name}"}
        partial = f"#/components/schemas/edFi_{name}_readable"
        collection: dict[str, Any] = {"get": {
            "operationId": f"get_{name}", "summary": f"Lists {name}", "tags": [name],
            "parameters": PAGING,
            "responses": {"200": _json({"type": "array", "items": ref}, f"A page of {name}",
                                       f"{partial}List"),
                          **ERRORS}}}
        item: dict[str, Any] = {"get": {
            "operationId": f"get_{name}_by_id", "tags": [name], "parameters": [ID],
            "responses": {"200": _json(ref, f"One of {name}", partial), "304": {
                "description": "Not modified"}, **ERRORS}}}
        if name in WRITABLE:
            body = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/edFi_{name}_body"}}}}
            collection["post"] = {"operationId": f"post_{name}", "tags": [name],
                                  "requestBody": body, "responses": {
                                      "200": {"description": "Updated (same natural key)"},
                                      "201": {"description": "Created"}, "409": PROBLEM,
                                      **ERRORS}}
            item["put"] = {"operationId": f"put_{name}", "tags": [name], "parameters": [ID],
                           "requestBody": body, "responses": {
                               "204": {"description": "Replaced"}, "409": PROBLEM,
                               "412": PROBLEM, **ERRORS},
                           # Ed-Fi's marker: this PUT may change the natural key
                           "x-Ed-Fi-isUpdatable": name in KEY_UPDATABLE}
            item["delete"] = {"operationId": f"delete_{name}", "tags": [name],
                              "parameters": [ID], "responses": {
                                  "204": {"description": "Deleted"}, "412": PROBLEM, **ERRORS}}
        paths[f"/ed-fi/{name}"] = collection
        paths[f"/ed-fi/{name}/{{id}}"] = item
        paths[f"/ed-fi/{name}/deletes"] = {"get": {
            "operationId": f"deletes_{name}", "tags": [name], "parameters": PAGING,
            "responses": {"200": _json({"type": "array", "items": {
                "$ref": "#/components/schemas/deletedItem"}}, "Deleted items"), **ERRORS}}}
        paths[f"/ed-fi/{name}/keyChanges"] = {"get": {
            "operationId": f"keyChanges_{name}", "tags": [name], "parameters": PAGING,
            "responses": {"200": _json({"type": "array", "items": {
                "$ref": "#/components/schemas/keyChange"}}, "Key changes"), **ERRORS}}}
    for descriptor in crosswalk().names:
        segment = descriptor[0].lower() + descriptor[1:] + "s"
        paths |= _descriptor_paths(segment, descriptor)
    # The Change Queries API sits beside data/v3, at the host's root.
    paths["/changeQueries/v1/availableChangeVersions"] = {
        "servers": [{"url": "/"}],
        "get": {"operationId": "availableChangeVersions", "tags": ["changeQueries"],
                "responses": {"200": _json({
                    "type": "object", "additionalProperties": False,
                    "required": ["oldestChangeVersion", "newestChangeVersion"],
                    "properties": {"oldestChangeVersion": {"type": "integer", "minimum": 0},
                                   "newestChangeVersion": {"type": "integer", "minimum": 0}}},
                    "The change versions a client may ask for"), **ERRORS}}}
    return paths


def _descriptor_paths(segment: str, descriptor: str) -> dict[str, Any]:
    """A descriptor's values: the crosswalk's (read-only: PUT/DELETE answer 405) merged with
    the ones clients POST; change windows and /deletes cover the posted ones only."""
    ref = {"$ref": "#/components/schemas/descriptor"}
    body = {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/descriptorBody"}}}}
    tags, more = ["descriptors"], {"405": PROBLEM, "409": PROBLEM, "412": PROBLEM}
    example = [{"name": n, "in": "query", "required": False, "schema": {"type": "string"},
                "description": "Query by example (case-insensitive)"}
               for n in ("codeValue", "namespace", "shortDescription")]
    return {
        f"/ed-fi/{segment}": {"get": {
            "operationId": f"get_{segment}", "tags": tags, "parameters": PAGING + example,
            "responses": {"200": _json({"type": "array", "items": ref}, descriptor), **ERRORS}},
            "post": {"operationId": f"post_{segment}", "tags": tags, "requestBody": body,
                     "responses": {"200": {"description": "Updated (same namespace and "
                                                          "codeValue)"},
                                   "201": {"description": "Created"}, **ERRORS, **more}}},
        f"/ed-fi/{segment}/{{id}}": {
            "get": {"operationId": f"get_{segment}_by_id", "tags": tags, "parameters": [ID],
                    "responses": {"200": _json(ref, descriptor),
                                  "304": {"description": "Not modified"}, **ERRORS}},
            "put": {"operationId": f"put_{segment}", "tags": tags, "parameters": [ID],
                    "requestBody": body, "responses": {"204": {"description": "Replaced"},
                                                       **ERRORS, **more}},
            "delete": {"operationId": f"delete_{segment}", "tags": tags, "parameters": [ID],
                       "responses": {"204": {"description": "Deleted"}, **ERRORS, **more}}},
        f"/ed-fi/{segment}/deletes": {"get": {
            "operationId": f"deletes_{segment}", "tags": tags, "parameters": PAGING,
            "responses": {"200": _json({"type": "array", "items": {
                "$ref": "#/components/schemas/deletedItem"}}, "Deleted values"), **ERRORS}}},
        f"/ed-fi/{segment}/keyChanges": {"get": {
            "operationId": f"keyChanges_{segment}", "tags": tags, "parameters": PAGING,
            "responses": {"200": _json({"type": "array", "items": {"type": "object"}},
                                       "Key changes (none: keys never change)"), **ERRORS}}},
    }


def _descriptor_schemas() -> dict[str, Any]:
    """A descriptor value as read, and as written (id and metadata optional, ignored)."""
    props: dict[str, Any] = {
        "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "namespace": {"type": "string", "maxLength": 255,
                      "description": "uri://{authority}/{DescriptorName}"},
        "codeValue": {"type": "string", "maxLength": 50},
        "shortDescription": {"type": "string", "maxLength": 75},
        "description": {"type": "string", "maxLength": 1024},
        "effectiveBeginDate": {"type": "string", "format": "date"},
        "effectiveEndDate": {"type": "string", "format": "date"},
        "_etag": {"type": "string", "description": "Stored (posted) values only"},
        "_lastModifiedDate": {"type": "string", "format": "date-time"}}
    return {"descriptor": {"type": "object", "properties": props, "additionalProperties": False,
                           "required": ["id", "namespace", "codeValue", "shortDescription"]},
            "descriptorBody": {"type": "object", "properties": props,
                               "additionalProperties": False,
                               "required": ["namespace", "codeValue", "shortDescription"]}}


def build() -> dict[str, Any]:
    table = bodies()
    schemas: dict[str, Any] = {}
    for name in RESOURCES:
        schemas[f"edFi_{name}"] = _resource_schema(name, read=True)
        schemas[f"edFi_{name}_readable"] = _readable(schemas[f"edFi_{name}"], name)
        schemas[f"edFi_{name}_readableList"] = {"type": "array", "items": {
            "$ref": f"#/components/schemas/edFi_{name}_readable"}}
        if name in WRITABLE:
            schemas[f"edFi_{name}_body"] = _resource_schema(name, read=False)
    schemas |= {name: _reference(shape) for name, shape in table.references.items()}
    schemas |= {f"item_{name}": _item(shape) for name, shape in table.shapes.items()}
    schemas["problemDetails"] = _problem()
    schemas |= _descriptor_schemas()
    schemas["deletedItem"] = {"type": "object", "required": ["id", "changeVersion"],
                              "properties": {"id": {"type": "string"},
                                             "changeVersion": {"type": "integer"},
                                             "keyValues": {"type": "object"}}}
    schemas["keyChange"] = {"type": "object", "additionalProperties": False,
                            "required": ["id", "changeVersion", "oldKeyValues", "newKeyValues"],
                            "properties": {"id": {"type": "string"},
                                           "changeVersion": {"type": "integer"},
                                           "oldKeyValues": {"type": "object"},
                                           "newKeyValues": {"type": "object"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "School Data Gateway: Ed-Fi resources", "version": "5.2.0",
                 "description": "The Ed-Fi Data Standard 5.x resources this gateway serves, "
                                "as views of its canonical roster store."},
        "servers": [{"url": "/data/v3"}],
        "security": [{"oauth2_client_credentials": []}],
        "paths": _paths(),
        "components": {"schemas": schemas, "securitySchemes": {"oauth2_client_credentials": {
            "type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": "/oauth/token", "scopes": {
                    "edfi.readonly": "Read the served resources",
                    "edfi.write": "Write the writable resources"}}}}}},
    }


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=False) + "\n"


def _type_text(prop: BodyProp) -> str:
    if prop.kind == "list":
        return f"collection of {prop.target}"
    if prop.kind in ("reference", "object"):
        return str(prop.target)
    return prop.kind


def render_kept() -> str:
    """Per resource, every top-level DS 5.0 property and what the gateway does with it."""
    lines = [
        "# Ed-Fi resources: what is kept, what is dropped, what is served",
        "",
        "Generated by `specs/edfi/build_openapi.py` from `specs/edfi/ds5_bodies.txt` (the Data",
        "Standard 5.0 bodies) and `resources.py` (what the canonical model keeps). Do not edit.",
        "",
        "Writes accept every property of a resource's DS 5.0 body and validate it (types, lengths,",
        "bounds, dates, descriptor URIs, required properties; kept descriptors against the",
        "crosswalk). The canonical model keeps only what a standard it serves needs (minimal",
        "data): the rest is dropped by design and never served. A kept property is served back;",
        "where a source lacks a value DS 5.0 requires, the documented fallback is served.",
        "",
    ]
    table = bodies()
    for name, res in RESOURCES.items():
        lines += [f"## {name}", "", f"{res.title}. Canonical family: `{res.family}`.", "",
                  "| property | DS 5.0 | gateway |", "|---|---|---|"]
        for prop in table.resources[name].props:
            need = "required" if prop.required else "optional"
            lines.append(f"| `{prop.name}` | {need}, {_type_text(prop)} | "
                         f"{kept(name, prop.name)} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    KEPT_DOC.write_text(render_kept(), encoding="utf-8")
