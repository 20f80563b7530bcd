"""Writes specs/edfi/openapi.json (OpenAPI 3.0) from the resource table in
adapters/edfi_mapping/resources.py, so the served document, the validator in the tests and the
code cannot drift apart. Run: `python specs/edfi/build_openapi.py`; a test checks the file is
current."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from adapters.edfi_mapping.descriptors import crosswalk  # noqa: E402
from adapters.edfi_mapping.resources import (  # noqa: E402
    KEY_UPDATABLE,
    REFERENCES,
    RESOURCES,
    Prop,
)
from adapters.edfi_mapping.to_canonical import WRITABLE  # noqa: E402

OUT = Path(__file__).with_name("openapi.json")
LINK = {"type": "object", "properties": {"rel": {"type": "string"}, "href": {"type": "string"}},
        "required": ["rel", "href"], "additionalProperties": False}
SCALAR = {"string": {"type": "string"}, "integer": {"type": "integer", "format": "int64"},
          "date": {"type": "string", "format": "date"}, "boolean": {"type": "boolean"},
          "descriptor": {"type": "string", "description": "A descriptor URI: "
                         "namespace/DescriptorName#CodeValue"}}


def _reference(name: str) -> dict[str, Any]:
    _target, parts = REFERENCES[name]
    return {"type": "object",
            "properties": {**{p: dict(SCALAR[k]) for p, k in parts}, "link": LINK},
            "required": [p for p, _ in parts], "additionalProperties": False}


def _prop(prop: Prop) -> dict[str, Any]:
    if prop.kind == "reference":
        return {"$ref": f"#/components/schemas/{prop.reference}"}
    if prop.kind == "array":
        return {"type": "array", "items": {
            "type": "object", "properties": {p.name: _prop(p) for p in prop.items},
            "additionalProperties": False}}
    schema = dict(SCALAR[prop.kind])
    if prop.max_length:
        schema["maxLength"] = prop.max_length
    return schema


def _resource_schema(name: str) -> dict[str, Any]:
    res = RESOURCES[name]
    props: dict[str, Any] = {"id": {"type": "string", "pattern": "^[0-9a-f]{32}$",
                                    "description": "The resource identifier (32 hex digits)"}}
    props |= {p.name: _prop(p) for p in res.props}
    props["_etag"] = {"type": "string", "description": "Changes whenever the item changes"}
    props["_lastModifiedDate"] = {"type": "string", "format": "date-time"}
    return {"type": "object", "description": res.title, "properties": props,
            "required": ["id", *(p.name for p in res.identity_props)],
            "additionalProperties": False}


def _problem() -> dict[str, Any]:
    return {"type": "object", "required": ["type", "title", "status", "detail",
                                           "correlationId"],
            "properties": {"type": {"type": "string", "pattern": "^urn:ed-fi:api:"},
                           "title": {"type": "string"}, "status": {"type": "integer"},
                           "detail": {"type": "string"}, "correlationId": {"type": "string"},
                           "validationErrors": {"type": "object", "additionalProperties": {
                               "type": "array", "items": {"type": "string"}}},
                           "errors": {"type": "array", "items": {"type": "string"}}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


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
        collection: dict[str, Any] = {"get": {
            "operationId": f"get_{name}", "summary": f"Lists {name}", "tags": [name],
            "parameters": PAGING,
            "responses": {"200": _json({"type": "array", "items": ref}, f"A page of {name}"),
                          **ERRORS}}}
        item: dict[str, Any] = {"get": {
            "operationId": f"get_{name}_by_id", "tags": [name], "parameters": [ID],
            "responses": {"200": _json(ref, f"One of {name}"), "304": {
                "description": "Not modified"}, **ERRORS}}}
        if name in WRITABLE:
            body = {"required": True, "content": {"application/json": {"schema": ref}}}
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
    schemas: dict[str, Any] = {f"edFi_{n}": _resource_schema(n) for n in RESOURCES}
    schemas |= {name: _reference(name) for name in REFERENCES}
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


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
