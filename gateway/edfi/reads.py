"""Every Ed-Fi GET of student-bearing or roster data: one path through the policy layer.

scope (agreement schools, opt-outs) AND the resource's subset AND query by example AND the
change-version window -> count (when asked) -> one page in sourcedId order (offset or keyset)
-> serialize -> the profile -> the disclosure log. Nothing here reads the store any other way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import ColumnElement, Connection, func, select

from adapters.edfi_mapping.resources import RESOURCES
from gateway.auth.guard import Caller
from gateway.edfi.ids import sourced_id_of
from gateway.edfi.lookups import Lookups
from gateway.edfi.problems import EdFiProblem
from gateway.edfi.profiles import Profile, read_profile
from gateway.edfi.projection import subset
from gateway.edfi.query import encode_token, example_predicates, parse_paging, version_window
from gateway.edfi.serialize import EdFiSerializer, row_columns
from gateway.extensions import disclosure_log, read_engine, store_engine
from gateway.model import ROSTER_TABLES
from gateway.policy.disclosures import DisclosureEntry
from gateway.policy.scoping import Scope


@dataclass(frozen=True)
class Request:
    caller: Caller
    correlation_id: str


def _args() -> tuple[dict[str, str], dict[str, str]]:
    args = {k.lower(): v for k, v in request.args.items()}
    return args, {k.lower(): k for k in request.args}


def policy_where(conn: Connection, caller: Caller, resource: str) -> list[ColumnElement[bool]]:
    family = RESOURCES[resource].family
    scope = Scope(conn, caller.app_id, caller.agreement.schools)
    return [scope.visible(family), subset(resource)]


def collection(req: Request, resource: str) -> Response:
    res = RESOURCES[resource]
    table = ROSTER_TABLES[res.family]
    profile = read_profile(resource, req.caller.agreement, request.headers.get("Accept"))
    args, names = _args()
    paging = parse_paging(args)
    with read_engine().connect() as conn:
        look = Lookups(conn)
        where = policy_where(conn, req.caller, resource)
        where.append(table.c.status == "active")
        where += example_predicates(resource, args, look, names, profile.shown)
        where += version_window(table.c.change_version, paging)
        total = None
        if paging.total:
            total = conn.execute(select(func.count()).select_from(table).where(*where)
                                 ).scalar_one()
        query = select(*row_columns(table)).where(*where).order_by(table.c.sourced_id)
        if paging.cursor_mode:
            if paging.cursor is not None:
                query = query.where(table.c.sourced_id > paging.cursor)
            rows = conn.execute(query.limit(paging.limit + 1)).all()
            more, rows = len(rows) > paging.limit, rows[:paging.limit]
        else:
            rows = conn.execute(query.limit(paging.limit).offset(paging.offset)).all()
            more = False
        objects = render(conn, look, resource, rows, profile)
        disclose(req, conn, resource, rows, profile)
    response = json_response(objects, profile.content_type(resource))
    if total is not None:
        response.headers["Total-Count"] = str(total)
    if more and rows:
        response.headers["Next-Page-Token"] = encode_token(rows[-1].sourced_id)
    return response


def find_visible(conn: Connection, caller: Caller, resource: str, the_id: str,
                 *, active: bool = True) -> Any | None:
    """The row behind an Ed-Fi id, if this app may see it as `resource`."""
    res = RESOURCES[resource]
    table = ROSTER_TABLES[res.family]
    sourced_id = sourced_id_of(store_engine(), resource, the_id)
    if sourced_id is None:
        return None
    where = policy_where(conn, caller, resource)
    if active:
        where.append(table.c.status == "active")
    return conn.execute(select(*row_columns(table)).where(
        table.c.sourced_id == sourced_id, *where)).first()


def single(req: Request, resource: str, the_id: str) -> Response:
    profile = read_profile(resource, req.caller.agreement, request.headers.get("Accept"))
    with read_engine().connect() as conn:
        row = find_visible(conn, req.caller, resource, the_id)
        if row is None:
            raise EdFiProblem("not-found", f"no {resource} item with id {the_id!r} is visible "
                                           "to this app")
        etag = f'"{row.change_version}"'
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            return Response(status=304, headers={"ETag": etag})
        objects = render(conn, Lookups(conn), resource, [row], profile)
        disclose(req, conn, resource, [row], profile)
    response = json_response(objects[0], profile.content_type(resource))
    response.headers["ETag"] = etag
    return response


def render(conn: Connection, look: Lookups, resource: str, rows: list[Any],
           profile: Profile) -> list[dict[str, Any]]:
    if resource == "students":
        look.load("demographics", [r.sourced_id for r in rows])
    return [profile.apply(o) for o in EdFiSerializer(look).render(resource, rows)]


def students_of(resource: str, rows: list[Any]) -> list[str]:
    """The students a page discloses: the field its studentReference shows (a contact
    association's row is the contact's role; the student is its `student`), else `user`."""
    res = RESOURCES[resource]
    if res.family == "users":
        return [r.sourced_id for r in rows]
    ref = res.prop("studentReference")
    field = ref.sources[0].split(".")[1] if ref is not None and ref.sources else "user"
    return [json.loads(r.data)[field] for r in rows]


def disclose(req: Request, conn: Connection, resource: str, rows: list[Any],
             profile: Profile) -> None:
    _disclose(req, resource, rows, profile.disclosed_fields(resource))


def disclose_keys(req: Request, resource: str, rows: list[Any]) -> None:
    """`/deletes` and `/keyChanges` show natural keys, and a student's key names the student
    (studentUniqueId): logged like any other read of student data."""
    _disclose(req, resource, rows, RESOURCES[resource].key)


def _disclose(req: Request, resource: str, rows: list[Any], fields: tuple[str, ...]) -> None:
    if not RESOURCES[resource].student_bearing or not rows:
        return
    if not current_app.config["DISCLOSURE_LOG"]:
        return
    disclosure_log().record(DisclosureEntry(
        app_id=req.caller.app_id, request_id=req.correlation_id,
        endpoint=request.full_path.rstrip("?"), fields=tuple(fields),
        students=tuple(students_of(resource, rows)),
    ))


def json_response(body: Any, content_type: str = "application/json") -> Response:
    response = current_app.response_class(json.dumps(body, separators=(",", ":")),
                                          mimetype=content_type)
    return response
