"""Descriptor writes: a SIS pushing to an Ed-Fi API posts its descriptor values first
(dependency order 1), usually in its district's own namespace, before the bodies that name them.

A value is keyed by (namespace, codeValue); its canonical sourcedId is its URI
(`namespace#codeValue`), the same basis the crosswalk values' ids use, so posting a crosswalk
URI lands on the crosswalk item (the stored row then supplies its descriptions). Writes go
through the sync engine as the writing app's source, like every other Ed-Fi write
(`writes.apply_write`). The crosswalk values themselves are defined by the district's file
(specs/edfi/descriptors.json): PUT and DELETE of them answer 405, since neither could change
what the file says.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from sqlalchemy import Connection, Row

from adapters.edfi_mapping.resources import Prop, Resource
from adapters.records import Record
from gateway.edfi import discovery
from gateway.edfi.body import check_body
from gateway.edfi.descriptor_reads import (
    crosswalk_by_id,
    crosswalk_value,
    descriptor_id,
    resource_names,
    stored_by_id,
    stored_by_uri,
)
from gateway.edfi.problems import EdFiProblem, invalid
from gateway.edfi.reads import Request
from gateway.edfi.writes import apply_write, etag_of, require_if_match, require_own
from gateway.extensions import store_engine
from gateway.public_url import public_root
from gateway.sync.validate import MAX_ID_LENGTH

# The body of every descriptor resource (Ed-Fi descriptor API 5.x); lengths as the standard's.
SHAPE = Resource("descriptors", "descriptors", None, (
    Prop("namespace", identity=True, max_length=255),
    Prop("codeValue", identity=True, max_length=50),
    Prop("shortDescription", max_length=75),
    Prop("description", max_length=1024),
    Prop("effectiveBeginDate", "date"),
    Prop("effectiveEndDate", "date"),
), order=1, writable=True, title="A descriptor value")
_OPTIONAL = ("description", "effectiveBeginDate", "effectiveEndDate")


def _uri(body: dict[str, Any]) -> str:
    return f"{body['namespace']}#{body['codeValue']}"


def _checked(name: str) -> dict[str, Any]:
    """The request body, or a 400 naming every problem at its JSON path. The namespace must end
    in `/{DescriptorName}` (the reference format `uri://{namespace}/{Name}#{codeValue}`), which
    also keeps one URI from being two descriptors' values."""
    body = check_body(SHAPE, request.get_json(silent=True))
    errors: dict[str, list[str]] = {}
    if body.get("shortDescription") in (None, ""):
        errors["$.shortDescription"] = ["shortDescription is required"]
    for prop in ("namespace", "codeValue"):
        if "#" in body[prop]:
            errors[f"$.{prop}"] = ["must not contain '#': it separates the namespace from the "
                                   "code value in a descriptor URI"]
    if not body["namespace"].casefold().endswith(f"/{name}".casefold()):
        errors.setdefault("$.namespace", []).append(
            f"must end with '/{name}' (descriptor URIs are namespace/{name}#codeValue)")
    if not errors and len(_uri(body)) > MAX_ID_LENGTH:
        errors["$.namespace"] = [f"namespace and codeValue together must be at most "
                                 f"{MAX_ID_LENGTH - 1} characters here: the gateway keys a "
                                 "descriptor value by its URI"]
    begin, end = body.get("effectiveBeginDate"), body.get("effectiveEndDate")
    if begin and end and end < begin:
        errors["$.effectiveEndDate"] = ["must not be before effectiveBeginDate"]
    if errors:
        raise EdFiProblem("bad-request:data-validation-failed",
                          "Data validation failed. See 'validationErrors' for details.",
                          errors=errors)
    return body


def _record(name: str, sourced_id: str, body: dict[str, Any]) -> Record:
    """The canonical record; namespace and codeValue are taken from the sourcedId, so a row's
    fields always spell its URI the way its id does."""
    namespace, _hash, code = sourced_id.rpartition("#")
    fields = {"descriptor": name, "namespace": namespace, "codeValue": code,
              "shortDescription": body["shortDescription"]}
    fields |= {k: body[k] for k in _OPTIONAL if body.get(k) not in (None, "")}
    return Record("descriptors", sourced_id, fields, file="request body", line=1,
                  status="active")


def _identity(conn: Connection, name: str, uri: str) -> tuple[str, bool]:
    """(sourcedId, whether the item exists already). Keys compare case-insensitively: a stored
    row's spelling wins, then the crosswalk's, then the body's."""
    row = stored_by_uri(conn, name, uri, active_only=False)
    value = crosswalk_value(name, uri)
    if row is not None:
        return row.sourced_id, value is not None or row.status == "active"
    if value is not None:
        return value.uri, True
    return uri, False


def _location(segment: str, sourced_id: str) -> str:
    base = public_root()
    return f"{base}{discovery.DATA_PATH}/ed-fi/{segment}/{descriptor_id(sourced_id)}"


def stored_uri(conn: Connection, key: dict[str, Any]) -> str | None:
    """Resolver answer for target "descriptors" (key: descriptor name, uri as given): the URI
    of the active stored value, so a body may name a value a client posted earlier."""
    row = stored_by_uri(conn, str(key["descriptor"]), str(key["uri"]))
    return None if row is None else row.sourced_id


OFFICIAL_NAMESPACE = "uri://ed-fi.org"


def _refuse_official(body: dict[str, Any]) -> None:
    """The Ed-Fi namespace is shared by every app: a write there would rewrite the text every
    other app reads, so it is read-only to apps (403 like the ODS/API's namespace check)."""
    namespace = str(body["namespace"]).casefold()
    if namespace == OFFICIAL_NAMESPACE or namespace.startswith(OFFICIAL_NAMESPACE + "/"):
        raise EdFiProblem("security:authorization",
                          f"the namespace {body['namespace']!r} is the official Ed-Fi "
                          "namespace: it is read-only to apps")


def _refuse_foreign_namespace(req: Request, namespace: str) -> None:
    """A writing app writes only in the namespaces its agreement names
    (`descriptor_namespaces`; none by default)."""
    if not req.caller.agreement.may_write_namespace(namespace):
        raise EdFiProblem("security:authorization",
                          f"the namespace {namespace!r} is not one the app's agreement lets it "
                          "write descriptors in (descriptor_namespaces)")


def post(req: Request, segment: str) -> Response:
    """Upsert by (namespace, codeValue): 201 when new, 200 when the item existed."""
    name = resource_names()[segment]
    body = _checked(name)
    _refuse_official(body)
    _refuse_foreign_namespace(req, str(body["namespace"]))
    with store_engine().connect() as conn:
        sourced_id, existed = _identity(conn, name, _uri(body))
    apply_write(req, [_record(name, sourced_id, body)])
    return Response(status=200 if existed else 201,
                    headers={"Location": _location(segment, sourced_id),
                             "ETag": etag_of("descriptors", sourced_id)})


def _target(segment: str, the_id: str) -> Row[Any]:
    """The stored value PUT or DELETE names, after the crosswalk and If-Match checks."""
    name = resource_names()[segment]
    if crosswalk_by_id(name, the_id) is not None:
        raise EdFiProblem("method-not-allowed",
                          f"this {name} value is defined by the district's descriptor "
                          "crosswalk (specs/edfi/descriptors.json): it cannot be replaced or "
                          "deleted through the API; POST it to record its descriptions")
    with store_engine().connect() as conn:
        row = stored_by_id(conn, name, the_id)
    if row is None:
        raise EdFiProblem("not-found", f"no {segment} item with id {the_id!r}")
    require_if_match(row.change_version)
    return row


def put(req: Request, segment: str, the_id: str) -> Response:
    """Replace a stored value's descriptions (204); its key cannot change."""
    row = _target(segment, the_id)
    name = resource_names()[segment]
    body = _checked(name)
    if body.get("id") not in (None, the_id):
        raise invalid("$.id", "differs from the id in the URL")
    if _uri(body).casefold() != row.sourced_id.casefold():
        raise EdFiProblem("bad-request:data-validation-failed:key-change-not-supported",
                          "the natural key (namespace, codeValue) of a descriptor cannot be "
                          "changed by PUT: delete the value and POST the new one")
    _refuse_foreign_namespace(req, str(body["namespace"]))
    apply_write(req, [_record(name, row.sourced_id, body)])
    return Response(status=204, headers={"ETag": etag_of("descriptors", row.sourced_id)})


def delete(req: Request, segment: str, the_id: str) -> Response:
    """Tombstone a stored value this app wrote (204); it is then listed in `/deletes`."""
    row = _target(segment, the_id)
    require_own(req, row.source)
    apply_write(req, [Record("descriptors", row.sourced_id, {}, file="request", line=1,
                        status="tobedeleted")])
    return Response(status=204)
