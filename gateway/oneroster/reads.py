"""Every OneRoster GET: one generic path through the policy layer.

scope (agreement schools, opt-outs) -> typed subset -> parent relation -> the client's filter,
parenthesised and ANDed last -> count -> one page in a stable order -> serialize -> project the
allowed fields -> log the disclosure. No OneRoster read touches the store any other way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify, request
from sqlalchemy import Connection, func, select

from gateway.auth.guard import Caller
from gateway.extensions import read_engine, store_engine
from gateway.model import ROSTER_TABLES
from gateway.oneroster.catalogue import ENVELOPES, V1P1
from gateway.oneroster.errors import OneRosterError
from gateway.oneroster.fields import FieldRules
from gateway.oneroster.operations import READS, Parent, Read, subset_predicate
from gateway.oneroster.query import (
    Comparison,
    Logical,
    Node,
    compile_filter,
    link_header,
    parse_fields,
    parse_filter,
    parse_page,
    parse_sort,
)
from gateway.oneroster.serialize import Serializer
from gateway.policy.disclosures import DisclosureEntry, record
from gateway.policy.scoping import Scope
from gateway.public_url import public_request_url

DEFAULT_LIMIT = 100
STUDENT_BEARING = frozenset({"users", "enrollments", "demographics", "results"})


@dataclass(frozen=True)
class ReadContext:
    version: str
    bases: dict[str, str]
    caller: Caller
    request_id: str


def handle_read(ctx: ReadContext, operation_id: str, params: dict[str, str]) -> Response:
    spec = READS[operation_id]
    agreement = ctx.caller.agreement
    if not agreement.may_read_family(spec.family):
        raise OneRosterError("forbidden", f"the app's data-sharing agreement does not grant "
                                          f"{spec.family}")
    with read_engine().connect() as conn:
        scope = Scope(conn, ctx.caller.app_id, agreement.schools)
        rules = FieldRules(spec.family, ctx.version, agreement, scope)
        selected = parse_fields(request.args.getlist("fields"), rules.known)
        for parent in spec.parents:
            _require_parent(conn, scope, parent, params[parent.param])
        _require_class_in_school(conn, spec, params)
        where = [scope.visible(spec.family)]
        subset = subset_predicate(spec.family, spec.subset)
        if subset is not None:
            where.append(subset)
        if spec.relation is not None:
            where.append(spec.relation(params))
        serializer = Serializer(conn, ctx.version, ctx.bases, scope)
        if spec.single:
            return _single(ctx, conn, spec, rules, serializer, where, params, selected)
        return _collection(ctx, conn, spec, rules, serializer, where, selected)


def _columns(table):  # noqa: ANN001, ANN202
    return (table.c.sourced_id, table.c.status, table.c.date_last_modified, table.c.data)


def _single(ctx, conn, spec, rules, serializer, where, params, selected) -> Response:  # noqa: ANN001
    table = ROSTER_TABLES[spec.family]
    row = conn.execute(
        select(*_columns(table)).where(table.c.sourced_id == params["sourcedId"],
                                       table.c.status == "active", *where)
    ).first()
    if row is None:
        raise OneRosterError("unknown_object",
                             f"no {ENVELOPES[spec.family][1]} with sourcedId "
                             f"{params['sourcedId']!r}")
    objects = serializer.render(spec.family, [row])
    shown = _project(objects, rules, selected)
    _disclose(ctx, serializer, spec.family, [row], shown)
    return _json({ENVELOPES[spec.family][1]: objects[0]}, ctx)


def _collection(ctx, conn, spec, rules, serializer, where, selected) -> Response:  # noqa: ANN001
    table = ROSTER_TABLES[spec.family]
    text = request.args.get("filter")
    node = parse_filter(text) if text not in (None, "") else None
    if node is None or not _mentions(node, {"status", "dateLastModified"}):
        where.append(table.c.status == "active")  # tombstones only for delta readers
    if node is not None:
        where.append(compile_filter(node, rules.resolve))
    maximum = current_app.config["ONEROSTER_MAX_LIMIT"]
    page = parse_page(request.args.get("limit"), request.args.get("offset"),
                      default=DEFAULT_LIMIT, maximum=maximum)
    keys = parse_sort(request.args.get("sort"), request.args.get("orderBy"), rules.sortable)
    order = [rules.sort_expr(k.field).desc() if k.descending else rules.sort_expr(k.field)
             for k in keys] + [table.c.sourced_id]
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    rows = conn.execute(_page_query(table, where, keys, order, page)).all()
    objects = serializer.render(spec.family, rows)
    shown = _project(objects, rules, selected)
    _disclose(ctx, serializer, spec.family, rows, shown)
    response = _json({ENVELOPES[spec.family][0]: objects}, ctx)
    response.headers["X-Total-Count"] = str(total)
    params = {k: v for k, v in request.args.items(multi=False)}
    if request.args.getlist("fields"):
        params["fields"] = ",".join(request.args.getlist("fields"))
    response.headers["Link"] = link_header(public_request_url(), params, page, total)
    return response


def _page_query(table, where, keys, order, page):  # noqa: ANN001, ANN202
    """One page. In the default sourcedId order a deep offset is first turned into a key: the
    skipped rows are walked in the (status, sourced_id) index alone, never read with their JSON,
    so page 900 costs about what page 1 does."""
    columns = _columns(table)
    if keys or page.offset == 0:
        return select(*columns).where(*where).order_by(*order).limit(page.limit) \
            .offset(page.offset)
    first = (select(table.c.sourced_id).where(*where).order_by(table.c.sourced_id)
             .offset(page.offset).limit(1).scalar_subquery())
    return select(*columns).where(*where, table.c.sourced_id >= first) \
        .order_by(table.c.sourced_id).limit(page.limit)


def _mentions(node: Node, names: set[str]) -> bool:
    if isinstance(node, Logical):
        return _mentions(node.left, names) or _mentions(node.right, names)
    assert isinstance(node, Comparison)
    return node.field in names


def _require_parent(conn: Connection, scope: Scope, parent: Parent, sourced_id: str) -> None:
    table = ROSTER_TABLES[parent.family]
    where = [table.c.sourced_id == sourced_id, table.c.status == "active",
             scope.visible(parent.family)]
    subset = subset_predicate(parent.family, parent.subset)
    if subset is not None:
        where.append(subset)
    if conn.execute(select(table.c.sourced_id).where(*where)).first() is None:
        kind = parent.subset or ENVELOPES.get(parent.family, (parent.family,) * 2)[1]
        raise OneRosterError("unknown_object", f"no {kind} with sourcedId {sourced_id!r}")


def _require_class_in_school(conn: Connection, spec: Read, params: dict[str, str]) -> None:
    if "schoolSourcedId" in params and "classSourcedId" in params:
        classes = ROSTER_TABLES["classes"]
        found = conn.execute(select(classes.c.sourced_id).where(
            classes.c.sourced_id == params["classSourcedId"],
            classes.c.school_id == params["schoolSourcedId"])).first()
        if found is None:
            raise OneRosterError("unknown_object", f"class {params['classSourcedId']!r} is not "
                                                   f"a class of school "
                                                   f"{params['schoolSourcedId']!r}")


def _project(objects: list[dict[str, Any]], rules: FieldRules,
             selected: list[str] | None) -> tuple[str, ...]:
    """Keep only fields the agreement allows (and, if asked, the selected ones)."""
    keep = rules.visible if selected is None else tuple(f for f in selected if rules.known(f))
    keep_set = frozenset(keep)
    for obj in objects:
        for key in [k for k in obj if k not in keep_set]:
            del obj[key]
    return keep


def _students(serializer: Serializer, family: str, rows) -> list[str]:  # noqa: ANN001
    """Which students a response carries, from what was already read to build it."""
    if family == "demographics":
        return [r.sourced_id for r in rows]
    if family == "users":
        return sorted(serializer.students)
    docs = [json.loads(r.data) for r in rows]
    if family == "enrollments":
        return [d["user"] for d in docs if d.get("role") == "student"]
    if family == "results":
        return [d["student"] for d in docs if "student" in d]
    return []


def _disclose(ctx: ReadContext, serializer: Serializer, family: str, rows,  # noqa: ANN001
              shown: tuple[str, ...]) -> None:
    if family not in STUDENT_BEARING or not rows or not current_app.config["DISCLOSURE_LOG"]:
        return
    students = _students(serializer, family, rows)
    if not students:
        return
    record(store_engine(), DisclosureEntry(
        app_id=ctx.caller.app_id, request_id=ctx.request_id,
        endpoint=request.full_path.rstrip("?"), fields=tuple(f"{family}.{f}" for f in shown),
        students=tuple(students),
    ))


def _json(body: dict[str, Any], ctx: ReadContext) -> Response:
    response = jsonify(body)
    response.headers["X-Request-Id"] = ctx.request_id
    return response


__all__ = ["ReadContext", "handle_read", "V1P1"]
