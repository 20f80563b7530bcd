"""Gradebook writes (PUT, DELETE, and 1.2's bulk POSTs).

A write is a tiny delta import: the body becomes canonical records, owned by a source named
after the writing app, and goes through the sync engine like any other source (validation,
reference checks, one transaction, a change_version, a run in the history). Nothing here
writes SQL. Before that, the policy layer decides whether the app may touch the class and the
student the write names: an app cannot grade a student it cannot see.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import Connection

from adapters.canonical import FAMILIES
from adapters.records import FamilyMode, Record
from gateway.config import SourceConfig
from gateway.documents.oneroster_catalogue import ENVELOPES, V1P1_RENAMES
from gateway.extensions import end_request_reads, read_caches, store_engine, write_engine
from gateway.oneroster.errors import OneRosterError
from gateway.oneroster.reads import ReadContext, handle_read
from gateway.policy.shown_ids import NOWHERE, ShownIds, own_source
from gateway.policy.write_access import WriteAccess
from gateway.sync.runner import run_sync

# operationId -> (family, kind)
WRITES: dict[str, tuple[str, str]] = {
    "putCategory": ("categories", "put"), "deleteCategory": ("categories", "delete"),
    "putLineItem": ("lineItems", "put"), "deleteLineItem": ("lineItems", "delete"),
    "putResult": ("results", "put"), "deleteResult": ("results", "delete"),
    "putScoreScale": ("scoreScales", "put"), "deleteScoreScale": ("scoreScales", "delete"),
    "postLineItemsForClass": ("lineItems", "post"),
    "postLineItemsForSchool": ("lineItems", "post"),
    "postResultsForLineItem": ("results", "post"),
    "postResultsForAcademicSessionForClass": ("results", "post"),
}
SINGLE_READ = {"categories": "getCategory", "lineItems": "getLineItem", "results": "getResult",
               "scoreScales": "getScoreScale"}
MAX_BODY_OBJECTS = 1000
# Standard fields a client may send that the canonical model does not keep (yet): accepted and
# dropped, as an importer drops undeclared columns.
NOT_STORED = frozenset({"scoreScale", "learningObjectiveSet"})


def app_source(client_id: str) -> SourceConfig:
    return SourceConfig(name=own_source(client_id), adapter="oneroster-rest",
                        max_error_share=0.0)


def handle_write(ctx: ReadContext, operation_id: str, params: dict[str, str]) -> Response:
    family, kind = WRITES[operation_id]
    if kind == "delete":
        return _delete(ctx, family, params["sourcedId"])
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise OneRosterError("unprocessable", "the request body must be a JSON object")
    if kind == "put":
        return _put(ctx, family, params["sourcedId"], body)
    return _post(ctx, family, operation_id, params, body)


def _one_key(body: dict[str, Any], key: str) -> Any:
    if set(body) != {key}:
        raise OneRosterError("unprocessable",
                             f"the body must have exactly one top-level key {key!r}; "
                             f"found {sorted(body)}")
    return body[key]


def _put(ctx: ReadContext, family: str, sourced_id: str, body: dict[str, Any]) -> Response:
    obj = _one_key(body, ENVELOPES[family][1])
    row, (obj,) = _district_ids(ctx, family, sourced_id, [obj])
    record = _record(ctx, family, row, obj, line=1)
    created = _apply(ctx, family, [record])
    end_request_reads()  # the answer is read after the write, not in the request's snapshot
    response = handle_read(ctx, SINGLE_READ[family], {"sourcedId": sourced_id})
    response.status_code = 201 if created else 200
    return response


def _post(ctx: ReadContext, family: str, operation_id: str, params: dict[str, str],
          body: dict[str, Any]) -> Response:
    items = _one_key(body, ENVELOPES[family][0])
    if not isinstance(items, list) or not items:
        raise OneRosterError("unprocessable", f"{ENVELOPES[family][0]} must be a non-empty list")
    if len(items) > MAX_BODY_OBJECTS:
        raise OneRosterError("unprocessable", f"at most {MAX_BODY_OBJECTS} objects per request")
    implied = {
        "postLineItemsForClass": {"class": params.get("classSourcedId")},
        "postLineItemsForSchool": {"school": params.get("schoolSourcedId")},
        "postResultsForLineItem": {"lineItem": params.get("lineItemSourcedId")},
        "postResultsForAcademicSessionForClass": {"class": params.get("classSourcedId")},
    }[operation_id]
    pairs, records = [], []
    for line, obj in enumerate(items, start=1):
        if not isinstance(obj, dict):
            raise OneRosterError("unprocessable", f"{ENVELOPES[family][0]}[{line - 1}] "
                                                  "is not an object")
        supplied = str(obj.get("sourcedId") or "")
        allocated = supplied or str(uuid.uuid4())
        obj = {**obj, **{k: {"sourcedId": v} for k, v in implied.items()}}
        row, (obj,) = _district_ids(ctx, family, allocated, [obj])
        records.append(_record(ctx, family, row, obj, line=line))
        pairs.append({"suppliedSourcedId": supplied or allocated,
                      "allocatedSourcedId": allocated})
    _apply(ctx, family, records)
    response = jsonify({"sourcedIdPairs": pairs})
    response.status_code = 201
    return response


def _record(ctx: ReadContext, family: str, sourced_id: str, obj: Any, line: int) -> Record:
    """Wire object -> canonical record (tolerant: GUIDRefs or bare ids, JSON booleans)."""
    if not isinstance(obj, dict):
        raise OneRosterError("unprocessable", f"the {ENVELOPES[family][1]} must be an object")
    if obj.get("sourcedId") not in (None, sourced_id):
        raise OneRosterError("unprocessable", f"sourcedId {obj['sourcedId']!r} in the body "
                                              f"differs from {sourced_id!r} in the path")
    renames = V1P1_RENAMES.get(family, {})  # 1.2 still accepts gradingPeriod on input
    fields = FAMILIES[family].by_name
    ignored = {"sourcedId", "status", "dateLastModified", "metadata"} | NOT_STORED
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in ignored:
            continue
        name = renames.get(key, key)
        field = fields.get(name)
        if field is None or not field.oneroster:
            raise OneRosterError("unprocessable", f"{ENVELOPES[family][1]}.{key}: not a field "
                                                  "this gateway stores")
        out[name] = _canonical_value(field.kind, value, key)
    _authorise(ctx, family, out)
    return Record(family, sourced_id, out, file="request body", line=line, status="active")


def _district_ids(ctx: ReadContext, family: str, sourced_id: str,
                  objs: list[Any]) -> tuple[str, list[Any]]:
    """For an app under a pseudonymous agreement: the row's id and every reference to a
    person or a class in the bodies as the district's ids (gateway/policy/shown_ids.py). A
    reference that is not one of the app's pseudonyms names nothing, so the district's own id
    is refused as unknown; a row id that is none becomes the app's own id for a new row,
    unless another source's row has it (then it is refused as unknown too)."""
    agreement = ctx.caller.agreement
    if not agreement.pseudonymous_ids:
        return sourced_id, objs
    with store_engine().connect() as conn:
        shown = ShownIds(conn, read_caches().pseudonyms, ctx.caller.app_id, agreement,
                         own_source(ctx.caller.client_id))
        row = shown.real_in(family, sourced_id)
        if row == NOWHERE:  # not a pseudonym: a new row's id, unless another source has it
            stored = _access(conn, ctx).stored(family, sourced_id)
            if stored is not None and stored[0] != shown.source:
                raise OneRosterError("unknown_object", f"no {ENVELOPES[family][1]} with "
                                                       f"sourcedId {sourced_id!r}")
            row = sourced_id
        elif row != sourced_id:  # a pseudonym: of a row the app sees, never its own
            raise OneRosterError("forbidden", f"{ENVELOPES[family][1]} {sourced_id!r} "
                                              "belongs to another source; an app writes "
                                              "only what it wrote")
        targets = {f.name: f.target for f in FAMILIES[family].references
                   if f.target in ("users", "classes")}
        mapped = []
        for obj in objs:
            if not isinstance(obj, dict):
                mapped.append(obj)
                continue
            obj = dict(obj)
            if obj.get("sourcedId") not in (None, ""):
                obj["sourcedId"] = row if obj["sourcedId"] == sourced_id else obj["sourcedId"]
            for key, value in list(obj.items()):
                target = targets.get(V1P1_RENAMES.get(family, {}).get(key, key))
                if target is None:
                    continue
                if isinstance(value, dict) and isinstance(value.get("sourcedId"), str):
                    obj[key] = {**value, "sourcedId": _shown_ref(shown, target,
                                                                 value["sourcedId"], key)}
                elif isinstance(value, str):
                    obj[key] = _shown_ref(shown, target, value, key)
            mapped.append(obj)
    return row, mapped


def _shown_ref(shown: ShownIds, target: str, value: str, key: str) -> str:
    """A reference the app sent, as the district's id; one naming nothing is refused as the
    reference check refuses an unknown one."""
    real = shown.real_ref(target, value)
    if real == NOWHERE:
        raise OneRosterError("unprocessable", f"{key} {value!r} is unknown or outside the "
                                              "app's agreement")
    return real


def _canonical_value(kind: str, value: Any, key: str) -> Any:
    if kind == "ref":
        return value.get("sourcedId") if isinstance(value, dict) else value
    if kind == "refs":
        if not isinstance(value, list):
            raise OneRosterError("unprocessable", f"{key}: must be a list")
        return [v.get("sourcedId") if isinstance(v, dict) else v for v in value]
    return value


def _authorise(ctx: ReadContext, family: str, fields: dict[str, Any]) -> None:
    """Every reference the write names (class, lineItem, student, category, school, ...) must
    be a row the app may see or wrote itself (policy/write_access): an app cannot grade a
    student it cannot see, and what it may not see answers as unknown."""
    record = Record(family, "", fields, file="request body", line=1)
    with store_engine().connect() as conn:
        for _rec, name, value in _access(conn, ctx).unreachable([record]):
            raise OneRosterError("unprocessable", f"{name} {value!r} is unknown or "
                                                  "outside the app's agreement")


def _access(conn: Connection, ctx: ReadContext) -> WriteAccess:
    return WriteAccess(conn, ctx.caller.app_id, ctx.caller.agreement.schools,
                       app_source(ctx.caller.client_id).name)


def _existing(ctx: ReadContext, family: str, sourced_id: str) -> tuple[str, str] | None:
    with store_engine().connect() as conn:
        return _access(conn, ctx).stored(family, sourced_id)


def _apply(ctx: ReadContext, family: str, records: list[Record]) -> bool:
    """Run the records through the sync engine; True when the (single) record was new."""
    source = app_source(ctx.caller.client_id)
    existing = _existing(ctx, family, records[0].sourced_id) if len(records) == 1 else None
    events = [FamilyMode(family, "delta", "request body"), *records]
    report = run_sync(write_engine(), source, iter(events), adapter_name=source.adapter)
    if report.state in ("applied", "unchanged"):
        return existing is None or existing[1] != "active"
    problems = "; ".join(
        f"{i.field}: {i.reason}" + (f" ({i.value!r})" if i.value else "")
        for i in report.issues if i.level in ("error", "fatal")
    ) or report.message
    if any("belongs to source" in i.reason for i in report.issues):
        raise OneRosterError("forbidden", f"not writable by this app: {problems}")
    raise OneRosterError("unprocessable", problems)


def _delete(ctx: ReadContext, family: str, sourced_id: str) -> Response:
    """Invisible rows answer exactly as unknown ones; only a row the app sees but did not
    write gets the ownership answer."""
    sent = sourced_id
    if ctx.caller.agreement.pseudonymous_ids:
        with store_engine().connect() as conn:
            sourced_id = ShownIds(conn, read_caches().pseudonyms, ctx.caller.app_id,
                                  ctx.caller.agreement,
                                  own_source(ctx.caller.client_id)).real_in(family, sourced_id)
    existing = _existing(ctx, family, sourced_id)
    with store_engine().connect() as conn:
        access = _access(conn, ctx)
        reachable = existing is not None and existing[1] == "active" and (
            access.may_see(family, sourced_id) or access.owns(family, sourced_id))
    if not reachable:
        raise OneRosterError("unknown_object", f"no {ENVELOPES[family][1]} with sourcedId "
                                               f"{sent!r}")
    if existing[0] != app_source(ctx.caller.client_id).name:
        raise OneRosterError("forbidden", f"{ENVELOPES[family][1]} {sent!r} belongs to "
                                          f"source {existing[0]!r}; an app deletes only what it "
                                          "wrote")
    record = Record(family, sourced_id, {}, file="request", line=1, status="tobedeleted")
    _apply(ctx, family, [record])
    return Response(status=204)
