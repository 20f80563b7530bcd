"""Ed-Fi change queries, read from the store's change_version counter and its tombstones.

`availableChangeVersions` is the window a client may ask for; `/{resource}/deletes` lists the
tombstones of the resource with their natural keys (so a consumer can delete across systems
where ids differ); `/{resource}/keyChanges` lists the items whose natural key a PUT changed
(the key-change log, see gateway/edfi/writes.py), one entry per item with its first old key
and last new key in the window. A source that re-keys a record instead (an interchange file
with a new entry date) sends a new record and the old one's tombstone: a create and a delete.
Both lists go through the app's scope like every other read.
"""

from __future__ import annotations

import json

from flask import Response, request
from sqlalchemy import func, select

from adapters.edfi_mapping.identity import edfi_id
from adapters.edfi_mapping.resources import RESOURCES
from gateway.edfi import descriptor_reads
from gateway.edfi.lookups import Lookups
from gateway.edfi.projection import subset
from gateway.edfi.query import parse_paging, version_window
from gateway.edfi.reads import Request, disclose_keys, json_response
from gateway.edfi.serialize import EdFiSerializer, flatten_key, row_columns
from gateway.extensions import read_engine
from gateway.model import EDFI_KEY_CHANGES, ROSTER_TABLES, ChangeCounter
from gateway.policy.scoping import Scope


def available_change_versions() -> Response:
    counter = ChangeCounter.__table__
    with read_engine().connect() as conn:
        newest = conn.execute(select(func.max(counter.c.value))).scalar() or 0
    return json_response({"oldestChangeVersion": 0, "newestChangeVersion": int(newest)})


def deletes(req: Request, resource: str) -> Response:
    res = RESOURCES[resource]
    table = ROSTER_TABLES[res.family]
    paging = parse_paging({k.lower(): v for k, v in request.args.items()})
    with read_engine().connect() as conn:
        scope = Scope(conn, req.caller.app_id, req.caller.agreement.schools)
        # The app's scope applies to tombstones too; a school-limited app may therefore miss
        # the deletion of a person whose roles went with it (it never learns keys elsewhere).
        where = [table.c.status == "tobedeleted", subset(resource, any_status=True),
                 scope.visible(res.family)]
        where += version_window(table.c.change_version, paging)
        rows = conn.execute(
            select(*row_columns(table)).where(*where)
            .order_by(table.c.change_version, table.c.sourced_id)
            .limit(paging.limit).offset(paging.offset)).all()
        objects = EdFiSerializer(Lookups(conn)).render(resource, rows)
    disclose_keys(req, resource, rows)
    body = [{"id": obj["id"], "changeVersion": row.change_version,
             "keyValues": flatten_key(resource, obj)} for row, obj in zip(rows, objects,
                                                                           strict=True)]
    return json_response(body)


def key_changes(req: Request, resource: str) -> Response:
    res = RESOURCES[resource]
    table = ROSTER_TABLES[res.family]
    log = EDFI_KEY_CHANGES
    paging = parse_paging({k.lower(): v for k, v in request.args.items()})
    with read_engine().connect() as conn:
        scope = Scope(conn, req.caller.app_id, req.caller.agreement.schools)
        where = [log.c.resource == resource, subset(resource, any_status=True),
                 scope.visible(res.family)]
        where += version_window(log.c.change_version, paging)
        rows = conn.execute(
            select(log.c.sourced_id, log.c.change_version, log.c.old_key, log.c.new_key,
                   table.c.data)
            .join(table, table.c.sourced_id == log.c.sourced_id).where(*where)
            .order_by(log.c.change_version, log.c.id)).all()
    items: dict[str, dict] = {}
    for row in rows:
        item = items.setdefault(row.sourced_id, {
            "id": edfi_id(resource, row.sourced_id), "changeVersion": row.change_version,
            "oldKeyValues": json.loads(row.old_key)})
        item["changeVersion"] = row.change_version
        item["newKeyValues"] = json.loads(row.new_key)
    page = list(items.values())[paging.offset:paging.offset + paging.limit]
    shown = {item["id"] for item in page}
    disclose_keys(req, resource, [r for r in dict((r.sourced_id, r) for r in rows).values()
                                  if edfi_id(resource, r.sourced_id) in shown])
    return json_response(page)


def descriptor_key_changes() -> Response:
    """`/{descriptor}/keyChanges`: always empty, since a descriptor value's key is its URI and
    a PUT cannot change it (descriptor_writes refuses); the window is still validated."""
    parse_paging({k.lower(): v for k, v in request.args.items()})
    return json_response([])


def descriptor_deletes(segment: str) -> Response:
    """`/{descriptor}/deletes`: tombstoned stored values of one descriptor, keyed by
    (namespace, codeValue). Crosswalk values are never deleted, so never listed. No scoping:
    descriptors carry no student data."""
    paging = parse_paging({k.lower(): v for k, v in request.args.items()})
    with read_engine().connect() as conn:
        rows = descriptor_reads.stored_rows(conn, descriptor_reads.resource_names()[segment],
                                            status="tobedeleted", paging=paging)
    page = rows[paging.offset:paging.offset + paging.limit]
    body = [{"id": descriptor_reads.descriptor_id(row.sourced_id),
             "changeVersion": row.change_version,
             "keyValues": dict(zip(("namespace", "codeValue"), row.sourced_id.rsplit("#", 1),
                                   strict=True))} for row in page]
    return json_response(body)
