"""Ed-Fi writes as an ingestion path for SIS push: POST upserts by natural key, PUT replaces,
DELETE tombstones.

A write is a tiny delta import owned by a source named after the writing app (the same source
its OneRoster writes use): the body is checked, mapped to canonical records by the shared
mapping (adapters/edfi_mapping), and applied by the sync engine with its validation and
reference checks, in one transaction with a change_version. Nothing here writes SQL. The
agreement decides what the app may write: the scope names the resources, the agreement's
schools bound where.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from sqlalchemy import Connection, select

from adapters.canonical import FAMILIES
from adapters.edfi_mapping.identity import edfi_id
from adapters.edfi_mapping.resources import RESOURCES
from adapters.edfi_mapping.to_canonical import (
    WRITABLE,
    MappingError,
    canonical_sourced_id,
    natural_key,
    to_records,
)
from adapters.records import FamilyMode, Record
from gateway.edfi.body import check_body
from gateway.edfi.lookups import Lookups
from gateway.edfi.problems import EdFiProblem, invalid
from gateway.edfi.query import example_predicates
from gateway.edfi.reads import Request, find_visible
from gateway.edfi.serialize import EdFiSerializer, flatten_key
from gateway.extensions import store_engine
from gateway.model import ROSTER_TABLES
from gateway.oneroster.writes import app_source
from gateway.policy.scoping import Scope
from gateway.sync.runner import run_sync


def _writable(resource: str) -> None:
    if resource not in WRITABLE:
        raise EdFiProblem("method-not-allowed", f"{resource} is read-only through this gateway; "
                                                f"writable: {', '.join(sorted(WRITABLE))}")


def _body(resource: str) -> dict[str, Any]:
    return check_body(RESOURCES[resource], request.get_json(silent=True))


def _find_by_key(conn: Connection, look: Lookups, resource: str,
                 key: dict[str, Any]) -> str | None:
    """The row of `resource` with this natural key, whichever source it came from."""
    res = RESOURCES[resource]
    table = ROSTER_TABLES[res.family]
    from gateway.edfi.projection import subset

    own = canonical_sourced_id(resource, key)
    if conn.execute(select(table.c.sourced_id).where(table.c.sourced_id == own)).first():
        return own
    try:
        where = example_predicates(resource, {k.lower(): str(v) for k, v in key.items()}, look,
                                   {k.lower(): k for k in key})
    except EdFiProblem:
        return None
    return conn.execute(select(table.c.sourced_id).where(
        *where, subset(resource, any_status=True)).order_by(table.c.sourced_id)).scalar()


def _resolver(conn: Connection, look: Lookups):  # noqa: ANN202
    def resolve(target: str, key: dict[str, Any]) -> str | None:
        if target in ("schools", "localEducationAgencies") or "educationOrganizationId" in key:
            (number,) = key.values()
            try:
                found = look.orgs_with_id(int(number))
            except (TypeError, ValueError):
                return None
            return found[0] if found else None
        return _find_by_key(conn, look, target, key) if target in RESOURCES else None
    return resolve


def _authorise(conn: Connection, req: Request, records: list[Record]) -> None:
    """Every school a written record is or names must be one of the agreement's schools."""
    schools = req.caller.agreement.schools
    if schools is None:
        return
    scope = Scope(conn, req.caller.app_id, schools)
    allowed = set(scope.orgs or [])
    for rec in records:
        named = [rec.sourced_id] if rec.family == "orgs" else [
            v for k, v in rec.fields.items()
            if FAMILIES[rec.family].by_name.get(k) is not None
            and FAMILIES[rec.family].by_name[k].target == "orgs"]
        outside = [s for s in named if s not in allowed]
        if outside:
            raise EdFiProblem("security:authorization",
                              "the app's agreement does not cover the education organization "
                              "this write names")


def _records(conn: Connection, req: Request, resource: str, body: dict[str, Any],
             sourced_id: str | None) -> list[Record]:
    look = Lookups(conn)
    try:
        records = to_records(resource, body, _resolver(conn, look), sourced_id=sourced_id)
    except MappingError as exc:
        if exc.message.startswith("no "):
            raise EdFiProblem("conflict:unresolved-reference",
                              f"{exc.path}: {exc.message}") from None
        raise invalid(exc.path, exc.message) from None
    _authorise(conn, req, records)
    for rec in records:
        rec.file, rec.line, rec.status = "request body", 1, "active"
    return records


def _apply(req: Request, records: list[Record]) -> None:
    source = app_source(req.caller.client_id)
    families = list(dict.fromkeys(r.family for r in records))
    events = [*(FamilyMode(f, "delta", "request body") for f in families), *records]
    report = run_sync(store_engine(), source, iter(events), adapter_name=source.adapter)
    if report.state in ("applied", "unchanged"):
        return
    issues = [i for i in report.issues if i.level in ("error", "fatal")]
    if any("belongs to source" in i.reason for i in issues):
        raise EdFiProblem("security:authorization", "this item was supplied by another source "
                                                    "and cannot be changed by this app")
    errors = {f"$.{i.field or ''}".rstrip("."): [f"{i.reason}" + (f" ({i.value!r})"
                                                                  if i.value else "")]
              for i in issues}
    if any("unknown" in i.reason or "reference" in i.reason for i in issues):
        raise EdFiProblem("conflict:unresolved-reference",
                          "; ".join(e for v in errors.values() for e in v) or report.message)
    raise EdFiProblem("bad-request:data-validation-failed",
                      "Data validation failed. See 'validationErrors' for details.",
                      errors=errors or {"$": [str(report.message)]})


def _location(resource: str, sourced_id: str) -> str:
    base = request.host_url.rstrip("/")
    return f"{base}/data/v3/ed-fi/{resource}/{edfi_id(resource, sourced_id)}"


def _etag_of(resource: str, sourced_id: str) -> str:
    table = ROSTER_TABLES[RESOURCES[resource].family]
    with store_engine().connect() as conn:
        version = conn.execute(select(table.c.change_version)
                               .where(table.c.sourced_id == sourced_id)).scalar()
    return f'"{version}"'


def post(req: Request, resource: str) -> Response:
    _writable(resource)
    body = _body(resource)
    try:
        key = natural_key(RESOURCES[resource], body)
    except MappingError as exc:
        raise invalid(exc.path, exc.message) from None
    with store_engine().connect() as conn:
        existing = _find_by_key(conn, Lookups(conn), resource, key)
        active = existing is not None and conn.execute(
            select(ROSTER_TABLES[RESOURCES[resource].family].c.status).where(
                ROSTER_TABLES[RESOURCES[resource].family].c.sourced_id == existing)
        ).scalar() == "active"
        records = _records(conn, req, resource, body, existing)
    _apply(req, records)
    sid = records[0].sourced_id
    return Response(status=200 if active else 201,
                    headers={"Location": _location(resource, sid),
                             "ETag": _etag_of(resource, sid)})


def _existing(req: Request, resource: str, the_id: str):  # noqa: ANN202
    with store_engine().connect() as conn:
        row = find_visible(conn, req.caller, resource, the_id)
        if row is None:
            raise EdFiProblem("not-found", f"no {resource} item with id {the_id!r}")
        obj = EdFiSerializer(Lookups(conn)).render(resource, [row])[0]
    wanted = request.headers.get("If-Match")
    if wanted and wanted.strip() not in (f'"{row.change_version}"', "*"):
        raise EdFiProblem("optimistic-lock-failed",
                          "the item was changed since the version named by If-Match; read it "
                          "again and retry")
    return row, obj


def put(req: Request, resource: str, the_id: str) -> Response:
    _writable(resource)
    row, current = _existing(req, resource, the_id)
    body = _body(resource)
    if body.get("id") not in (None, the_id):
        raise invalid("$.id", "differs from the id in the URL")
    try:
        key = natural_key(RESOURCES[resource], body)
    except MappingError as exc:
        raise invalid(exc.path, exc.message) from None
    old = flatten_key(resource, current)
    if {k: str(v).casefold() for k, v in key.items()} != {
            k: str(v).casefold() for k, v in old.items()}:
        raise EdFiProblem("bad-request", f"the natural key of {resource} cannot be changed by "
                                         "PUT here: delete the item and POST the new one")
    with store_engine().connect() as conn:
        records = _records(conn, req, resource, body, row.sourced_id)
    _apply(req, records)
    return Response(status=204, headers={"ETag": _etag_of(resource, row.sourced_id)})


def delete(req: Request, resource: str, the_id: str) -> Response:
    _writable(resource)
    row, _obj = _existing(req, resource, the_id)
    table = ROSTER_TABLES[RESOURCES[resource].family]
    with store_engine().connect() as conn:
        source = conn.execute(select(table.c.source)
                              .where(table.c.sourced_id == row.sourced_id)).scalar()
    if source != app_source(req.caller.client_id).name:
        raise EdFiProblem("security:authorization", "this item was supplied by another source; "
                                                    "an app deletes only what it wrote")
    family = RESOURCES[resource].family
    _apply(req, [Record(family, row.sourced_id, {}, file="request", line=1,
                        status="tobedeleted")])
    return Response(status=204)
