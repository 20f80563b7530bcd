"""Every OneRoster GET: OneRoster's query language and envelopes, translated onto the policy
layer's read engine.

path parameters -> parents that must exist and be visible; `filter`, `sort`, `fields`, `limit`,
`offset` -> the engine's listing (the filter parenthesised and ANDed after the policy); the
engine's documents -> the version's envelope, hrefs rooted at the public URL, X-Total-Count and
Link. No OneRoster read touches the store any other way.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, request

from gateway.auth.guard import Caller
from gateway.documents.oneroster import HREF_PREFIX, STORED
from gateway.documents.oneroster_catalogue import ENVELOPES, V1P1, wire_fields
from gateway.extensions import disclosure_log, read_caches, request_reads
from gateway.oneroster.errors import OneRosterError
from gateway.oneroster.operations import READS, Parent, Read
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
from gateway.policy.fields import FieldRules
from gateway.policy.reads import Listing, Page, Reader, ReadSession, read_session
from gateway.policy.relations import class_in_school, subset_predicate
from gateway.policy.shown_ids import ShownIds, own_source
from gateway.public_url import public_request_url, public_root

DEFAULT_LIMIT = 100


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
    reader = Reader(ctx.caller.app_id, agreement, ctx.request_id,
                    endpoint=request.full_path.rstrip("?"),
                    log_disclosures=current_app.config["DISCLOSURE_LOG"],
                    source=own_source(ctx.caller.client_id))
    with read_session(request_reads(), disclosure_log(), read_caches(), reader) as session:
        shown = session.shown_ids()
        sent = params  # as the app sent them (what an error names)
        if shown is not None:
            params = _district_ids(shown, spec, params)
        rules = FieldRules(spec.family, ctx.version, agreement, session.scope, shown)
        selected = parse_fields(request.args.getlist("fields"), rules.known)
        for parent in spec.parents:
            _require_parent(session, parent, params[parent.param], sent[parent.param])
        _require_class_in_school(session, params, sent)

        def where() -> list:
            found = []
            subset = subset_predicate(spec.family, spec.subset)
            if subset is not None:
                found.append(subset)
            if spec.relation is not None:
                found.append(spec.relation(params))
            return found

        keep = rules.visible if selected is None else tuple(f for f in selected
                                                             if rules.known(f))
        listing = Listing(spec.family, STORED[ctx.version], where,
                          keep=tuple(keep), full=wire_fields(spec.family, ctx.version),
                          shape=(operation_id, _shape_params(spec, params)))
        if spec.single:
            return _single(ctx, session, spec, listing, params["sourcedId"], sent["sourcedId"])
        return _collection(ctx, session, spec, rules, listing)


def _shape_params(spec: Read, params: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The path parameters a listing's statement depends on. A single read's own sourcedId
    is bound at each execution (not built into the statement), so every user's read shares
    one compiled statement: naming it here compiled one per user, about 1 ms each time a
    worker first met a user."""
    return tuple(sorted((k, v) for k, v in params.items()
                        if not (spec.single and k == "sourcedId")))


# Path parameters naming people or classes, and the kind of pseudonym each is.
PARAM_KINDS = {"studentSourcedId": "users", "teacherSourcedId": "users",
               "userSourcedId": "users", "classSourcedId": "classes"}


def _district_ids(shown: ShownIds, spec: Read, params: dict[str, str]) -> dict[str, str]:
    """Path parameters as the district's ids: the app's pseudonyms mapped back; anything
    else (the district's own id included) names nothing."""
    out = dict(params)
    for name, value in params.items():
        if name == "sourcedId":
            out[name] = shown.real_in(spec.family, value)
        elif name in PARAM_KINDS:
            out[name] = shown.real_ref(PARAM_KINDS[name], value)
    return out


def _single(ctx: ReadContext, session: ReadSession, spec: Read, listing: Listing,
            sourced_id: str, sent: str) -> Response:
    page = session.single(listing, sourced_id)
    if page is None:
        raise OneRosterError("unknown_object",
                             f"no {ENVELOPES[spec.family][1]} with sourcedId {sent!r}")
    key = ENVELOPES[spec.family][1].encode()
    return _json(b'{"' + key + b'":' + page.documents[0] + b"}", ctx)


def _collection(ctx: ReadContext, session: ReadSession, spec: Read, rules: FieldRules,
                listing: Listing) -> Response:
    text = request.args.get("filter")
    node = parse_filter(text) if text not in (None, "") else None
    tombstones = node is not None and _mentions(node, {"status", "dateLastModified"})
    if node is not None:
        compile_filter(node, rules.resolve)  # a 400 for a bad filter, before any read
    maximum = current_app.config["ONEROSTER_MAX_LIMIT"]
    page = parse_page(request.args.get("limit"), request.args.get("offset"),
                      default=DEFAULT_LIMIT, maximum=maximum)
    keys = parse_sort(request.args.get("sort"), request.args.get("orderBy"), rules.sortable)
    relation = listing.where

    def where() -> list:
        found = list(relation())
        if node is not None:
            found.append(compile_filter(node, rules.resolve))
        return found

    def order() -> list:
        return [rules.sort_expr(k.field).desc() if k.descending else rules.sort_expr(k.field)
                for k in keys]

    listing = Listing(
        listing.family, listing.documents, where, order, default_order=not keys,
        limit=page.limit, offset=page.offset, keep=listing.keep, full=listing.full,
        tombstones=tombstones,
        shape=(*listing.shape, text, tuple((k.field, k.descending) for k in keys)))
    result = session.list(listing)
    response = _json(_envelope(ENVELOPES[spec.family][0], result), ctx)
    total = result.total or 0
    response.headers["X-Total-Count"] = str(total)
    args = {k: v for k, v in request.args.items(multi=False)}
    if request.args.getlist("fields"):
        args["fields"] = ",".join(request.args.getlist("fields"))
    response.headers["Link"] = link_header(public_request_url(), args, page, total)
    return response


def _envelope(key: str, page: Page) -> bytes:
    return b'{"' + key.encode() + b'":[' + b",".join(page.documents) + b"]}"


def _mentions(node: Node, names: set[str]) -> bool:
    if isinstance(node, Logical):
        return _mentions(node.left, names) or _mentions(node.right, names)
    assert isinstance(node, Comparison)
    return node.field in names


def _require_parent(session: ReadSession, parent: Parent, sourced_id: str, sent: str) -> None:
    subset = subset_predicate(parent.family, parent.subset)
    if not session.exists(parent.family, sourced_id, *([] if subset is None else [subset])):
        kind = parent.subset or ENVELOPES.get(parent.family, (parent.family,) * 2)[1]
        raise OneRosterError("unknown_object", f"no {kind} with sourcedId {sent!r}")


def _require_class_in_school(session: ReadSession, params: dict[str, str],
                             sent: dict[str, str]) -> None:
    if "schoolSourcedId" in params and "classSourcedId" in params:
        if not session.exists("classes", params["classSourcedId"], class_in_school(params)):
            raise OneRosterError("unknown_object", f"class {sent['classSourcedId']!r} is not "
                                                   f"a class of school "
                                                   f"{sent['schoolSourcedId']!r}")


def _json(body: bytes, ctx: ReadContext) -> Response:
    """Documents keep root-relative hrefs; the response roots them at the public URL."""
    root = public_root().encode()
    if root:
        body = body.replace(HREF_PREFIX, b'"href":"' + root + b"/ims/oneroster/")
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["X-Request-Id"] = ctx.request_id
    return response


__all__ = ["ReadContext", "handle_read", "V1P1"]
