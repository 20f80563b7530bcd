"""Descriptor resources (`/ed-fi/sexDescriptors`, ...): the crosswalk's values (read-only, from
the district's file) merged with the values Ed-Fi clients have written (the `descriptors`
family, one row per value, sourcedId = the value's URI).

Both kinds share one id, `edfi_id("descriptors", uri)`, so a posted value whose URI is a
crosswalk value is the same item, and a stored row wins over the file on that id. Crosswalk
values have no change version: a change-version window shows stored rows only. Descriptors
carry no student data: no scoping and no disclosure log, only the read scope. A descriptor has
tens of values, so a read loads the descriptor's rows and merges them in memory.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from sqlalchemy import Connection, Row

from adapters.edfi_mapping.descriptors import DescriptorValue, crosswalk
from adapters.edfi_mapping.identity import edfi_id
from gateway.edfi.problems import EdFiProblem
from gateway.edfi.query import (
    CONTROL,
    Paging,
    bad,
    encode_token,
    parse_paging,
)
from gateway.edfi.reads import json_response
from gateway.edfi.serialize import timestamp
from gateway.extensions import read_engine
from gateway.policy.edfi import descriptors
from gateway.request_bounds import INT32_MAX, bounded_int

# Query by example: lower-cased parameter -> property; values compare case-insensitively.
QUERYABLE = {"codevalue": "codeValue", "namespace": "namespace",
             "shortdescription": "shortDescription"}
_OPTIONAL = ("description", "effectiveBeginDate", "effectiveEndDate")


def resource_names() -> dict[str, str]:
    """URL segment (`sexDescriptors`) -> descriptor name (`SexDescriptor`)."""
    return {name[0].lower() + name[1:] + "s": name for name in crosswalk().names}


def descriptor_id(uri: str) -> str:
    """The Ed-Fi id of a descriptor value, crosswalk or stored: a hash of its URI."""
    return edfi_id("descriptors", uri)


def crosswalk_value(name: str, uri: str) -> DescriptorValue | None:
    """The crosswalk value of descriptor `name` with this URI (case-insensitive), if any."""
    wanted = uri.casefold()
    return next((v for v in crosswalk().values[name] if v.uri.casefold() == wanted), None)


def crosswalk_by_id(name: str, the_id: str) -> DescriptorValue | None:
    return next((v for v in crosswalk().values[name] if descriptor_id(v.uri) == the_id.lower()),
                None)


def stored_rows(conn: Connection, name: str, *, status: str = "active",
                paging: Paging | None = None) -> list[Row[Any]]:
    """The stored values of descriptor `name` with `status`, within the paging's
    change-version window when one is given."""
    if paging is None:
        return descriptors.stored_rows(conn, name, status=status)
    return descriptors.stored_rows(conn, name, status=status, low=paging.min_version,
                                   high=paging.max_version)


stored_by_uri = descriptors.stored_by_uri


def stored_by_id(conn: Connection, name: str, the_id: str) -> Row[Any] | None:
    """The active stored value of `name` behind an Ed-Fi id (the id is a hash, so the
    descriptor's few rows are hashed and compared)."""
    return next((r for r in stored_rows(conn, name) if descriptor_id(r.sourced_id)
                 == the_id.lower()), None)


def crosswalk_object(value: DescriptorValue) -> dict[str, Any]:
    return {"id": descriptor_id(value.uri), "namespace": f"{value.namespace}/{value.descriptor}",
            "codeValue": value.code_value, "shortDescription": value.code_value,
            "description": value.code_value}


def stored_object(row: Row[Any]) -> dict[str, Any]:
    data = json.loads(row.data)
    obj = {"id": descriptor_id(row.sourced_id), "namespace": data["namespace"],
           "codeValue": data["codeValue"], "shortDescription": data["shortDescription"]}
    obj |= {k: data[k] for k in _OPTIONAL if data.get(k) not in (None, "")}
    obj["_etag"] = str(row.change_version)
    obj["_lastModifiedDate"] = timestamp(row.date_last_modified)
    return obj


def _merged(name: str, paging: Paging) -> list[dict[str, Any]]:
    """Crosswalk values in file order (a stored row with the same id in their place), then the
    other stored values; a change-version window leaves the crosswalk out."""
    with read_engine().connect() as conn:
        stored = {descriptor_id(r.sourced_id): stored_object(r)
                  for r in stored_rows(conn, name, paging=paging)}
    if paging.min_version is not None or paging.max_version is not None:
        return list(stored.values())
    objects = []
    for value in crosswalk().values[name]:
        obj = crosswalk_object(value)
        objects.append(stored.pop(obj["id"], obj))
    return objects + sorted(stored.values(), key=lambda o: (o["namespace"], o["codeValue"]))


def _filtered(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for name, value in request.args.items():
        lower = name.lower()
        if lower in CONTROL:
            continue
        if lower not in QUERYABLE:
            raise bad(f"{name!r} is not a property of descriptors that can be queried; "
                      f"queryable: {', '.join(QUERYABLE.values())}")
        key = QUERYABLE[lower]
        objects = [o for o in objects if str(o.get(key, "")).casefold() == value.casefold()]
    return objects


def _start(paging: Paging) -> int:
    if not paging.cursor_mode:
        return paging.offset
    if paging.cursor is None:
        return 0
    start = bounded_int(paging.cursor, 0, INT32_MAX)  # str.isdigit() admits '²', int() not
    if start is None:
        raise bad("pageToken is not a token this server issued for descriptors")
    return start


def descriptor_collection(segment: str) -> Response:
    paging = parse_paging({k.lower(): v for k, v in request.args.items()})
    objects = _filtered(_merged(resource_names()[segment], paging))
    start = _start(paging)
    response = json_response(objects[start:start + paging.limit])
    if paging.total:
        response.headers["Total-Count"] = str(len(objects))
    if paging.cursor_mode and start + paging.limit < len(objects):
        response.headers["Next-Page-Token"] = encode_token(str(start + paging.limit))
    return response


def descriptor_single(segment: str, the_id: str) -> Response:
    name = resource_names()[segment]
    with read_engine().connect() as conn:
        row = stored_by_id(conn, name, the_id)
    if row is not None:
        etag = f'"{row.change_version}"'
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            return Response(status=304, headers={"ETag": etag})
        response = json_response(stored_object(row))
        response.headers["ETag"] = etag
        return response
    value = crosswalk_by_id(name, the_id)
    if value is not None:
        return json_response(crosswalk_object(value))
    raise EdFiProblem("not-found", f"no {segment} item with id {the_id!r}")

