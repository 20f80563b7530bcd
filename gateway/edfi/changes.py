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

from adapters.edfi_mapping.identity import edfi_id
from gateway.edfi import descriptor_reads
from gateway.edfi.query import parse_paging
from gateway.edfi.reads import (
    Request,
    disclose_keys,
    json_response,
    person_keys,
    reader,
    shown_ids,
)
from gateway.edfi.serialize import EdFiSerializer, flatten_key
from gateway.extensions import disclosure_log, read_caches, read_engine, request_reads
from gateway.policy.edfi.changes import deleted_rows, key_change_rows, newest_change_version
from gateway.policy.edfi.class_keys import ClassKeys, class_keys, class_named, shown_logged
from gateway.policy.edfi.examples import UNIQUE
from gateway.policy.edfi.lookups import Lookups
from gateway.policy.reads import read_session
from gateway.policy.shown_edfi_ids import EdFiIdCipher


def available_change_versions() -> Response:
    return json_response({"oldestChangeVersion": 0,
                          "newestChangeVersion": newest_change_version(request_reads())})


def deletes(req: Request, resource: str) -> Response:
    paging = parse_paging({k.lower(): v for k, v in request.args.items()})
    ids = shown_ids(req.caller)
    with read_session(request_reads(), disclosure_log(), read_caches(),
                      reader(req, log=False)) as session:
        rows = deleted_rows(session, resource, paging.min_version, paging.max_version,
                            paging.limit, paging.offset)
        keys = person_keys(session, req.caller)
        objects = EdFiSerializer(Lookups(session.conn), keys.shown,
                                 shown_id=None if ids is None else ids.shown,
                                 class_key=class_keys(session.shown_ids()).shown,
                                 ).render(resource, rows)
    disclose_keys(req, resource, rows)
    body = [{"id": obj["id"], "changeVersion": row.change_version,
             "keyValues": flatten_key(resource, obj)} for row, obj in zip(rows, objects,
                                                                           strict=True)]
    return json_response(body)


def _shown_key(key: dict, person: str | None, shown, classes: ClassKeys,  # noqa: ANN001
               current_class: str | None, look: Lookups) -> dict:
    """A logged key as this app is shown keys: its person's unique id as a pseudonym when
    the app gets pseudonyms, its class's when it gets pseudonyms of classes (the log holds
    the district's ids)."""
    key = shown_logged(key, current_class, classes.shown, look)
    if shown is None or person is None:
        return key
    return {k: shown(person, {}) if k in UNIQUE else v for k, v in key.items()}


def key_changes(req: Request, resource: str) -> Response:
    paging = parse_paging({k.lower(): v for k, v in request.args.items()})
    with read_session(request_reads(), disclosure_log(), read_caches(),
                      reader(req, log=False)) as session:
        rows = key_change_rows(session, resource, paging.min_version, paging.max_version)
        keys = person_keys(session, req.caller)
        classes = class_keys(session.shown_ids())
        look = Lookups(session.conn)
        items = _key_change_items(resource, rows, keys.shown, classes, look,
                                  shown_ids(req.caller))
    page = list(items.values())[paging.offset:paging.offset + paging.limit]
    shown = {item["id"] for item in page}
    disclose_keys(req, resource, [r for r in dict((r.sourced_id, r) for r in rows).values()
                                  if items[r.sourced_id]["id"] in shown])
    return json_response(page)


def _key_change_items(resource: str, rows: list, person_key, classes: ClassKeys,  # noqa: ANN001
                      look: Lookups, ids: EdFiIdCipher | None) -> dict[str, dict]:
    """One entry per item: its first old key and last new key in the window, as the app is
    shown keys (read inside the request's snapshot: class keys look rows up)."""

    def id_of(sourced_id: str) -> str:
        the_id = edfi_id(resource, sourced_id)
        return the_id if ids is None else ids.shown(the_id)

    items: dict[str, dict] = {}
    for row in rows:
        data = json.loads(row.data)
        person, current = data.get("user"), class_named(resource, row.sourced_id, data)
        item = items.setdefault(row.sourced_id, {
            "id": id_of(row.sourced_id), "changeVersion": row.change_version,
            "oldKeyValues": _shown_key(json.loads(row.old_key), person, person_key, classes,
                                       current, look)})
        item["changeVersion"] = row.change_version
        item["newKeyValues"] = _shown_key(json.loads(row.new_key), person, person_key,
                                          classes, current, look)
    return items


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
