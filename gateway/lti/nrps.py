"""Names and Role Provisioning Services 2.0: the membership of a context (a class), answered
from the canonical roster through the read engine.

Members are the class's enrollments the tool's app may see (agreement schools; opted-out
students absent), in a stable order, with context roles, status, the same pairwise `user_id`
the tool got as `sub` at launch, and only the identity claims the tool is granted. Paging is
`limit` and a `Link: <...>; rel="next"` whose URL is lowercase-safe (pylti1p3 2.0.0 lowercases
it): a lowercase hex context id and numbers, the role filter compared case-insensitively. A
context that is not this tool's, or whose class is no longer within the agreement, is 404
like an unknown one. Each page is a logged disclosure (the read engine logs it)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Blueprint, Response, current_app, request

from gateway.auth.lti_registry import NRPS_SCOPE
from gateway.auth.lti_state import context_class, link_context
from gateway.extensions import disclosure_log, read_caches, request_reads, store_engine
from gateway.lti.roles import context_role, enrollment_roles_for
from gateway.lti.roster import (
    class_document,
    enrollments,
    granted_claims,
    identity_claims,
    lis_ids,
    members,
)
from gateway.lti.services import ServiceError, service_caller
from gateway.lti.signing import pairwise
from gateway.lti.state import lti_state
from gateway.policy.optouts import opted_out_of_class_since, optout_mark
from gateway.policy.reads import Reader, read_session
from gateway.public_url import public_root

nrps = Blueprint("lti_nrps", __name__)

MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _number(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    least = 0 if name in ("since", "optouts") else 1
    if not raw.isascii() or not raw.isdigit() or not least <= int(raw) <= maximum:
        raise ServiceError(400, "invalid_request", f"{name} must be a whole number from "
                                                   f"{least} to {maximum}")
    return int(raw)


@nrps.get("/lti/contexts/<context_id>/memberships")
def memberships(context_id: str) -> Response:
    try:
        return _memberships(context_id)
    except ServiceError as exc:
        return exc.response()


def _memberships(context_id: str) -> Response:
    caller = service_caller(NRPS_SCOPE)
    tool = caller.tool
    limit = _number("limit", DEFAULT_LIMIT, MAX_LIMIT)
    page = _number("page", 1, 10**9)
    since = _number("since", 0, 10**15) if "since" in request.args else None
    # the opt-out high-water mark the differences link carried (see opted_out_of_class_since)
    optouts_after = (_number("optouts", 0, 10**15)
                     if since is not None and "optouts" in request.args else None)
    role, rlid = request.args.get("role"), request.args.get("rlid")
    roles = None if role is None else enrollment_roles_for(role)
    not_found = ServiceError(404, "not_found", f"no context {context_id!r} for this tool")
    class_id = context_class(store_engine(), tool.id, context_id)
    if class_id is None:
        raise not_found
    if rlid is not None and link_context(store_engine(), tool.id, rlid) != context_id:
        raise ServiceError(404, "not_found", f"no resource link {rlid!r} of this tool in "
                                             "this context")
    reader = Reader(caller.app.app_id, caller.app.agreement, secrets.token_hex(8),
                    endpoint=request.full_path.rstrip("?"),
                    log_disclosures=current_app.config["DISCLOSURE_LOG"],
                    internal_ids=True)
    claims = granted_claims(caller.app.agreement, tool.share)
    mark = optout_mark(store_engine())  # before the read: a later opt-out is reported next time
    with read_session(request_reads(), disclosure_log(), read_caches(), reader) as session:
        klass = class_document(session, class_id)
        if klass is None:
            raise not_found
        if role is not None and roles is None:
            enrolled, total = [], 0
        else:
            enrolled, total = enrollments(session, class_id, roles, limit=limit,
                                          offset=(page - 1) * limit, since=since)
        found = members(session, enrolled, claims)
        snapshot = session.versions[0]
        lis = {m.user_id: lis_ids(session, m.user_id)["person_sourcedid"] for m in found} \
            if "lis" in claims else {}
    key = lti_state().pairwise_key()
    url = f"{public_root()}/lti/contexts/{context_id}/memberships"
    listed = [_member(m, key, tool.client_id, claims, lis.get(m.user_id)) for m in found]
    if since is not None:
        listed += _gone(enrolled, found, key, tool.client_id)
    if optouts_after is not None and page == 1:
        listed += _opted_out(caller.app.app_id, class_id, roles, optouts_after, listed, key,
                             tool.client_id)
    body: dict[str, Any] = {
        "id": url,
        "context": {"id": context_id, **({"label": klass["classCode"]}
                                         if klass.get("classCode") else {}),
                    **({"title": klass["title"]} if klass.get("title") else {})},
        "members": listed,
    }
    response = current_app.response_class(orjson.dumps(body), mimetype=MEDIA_TYPE)
    kept = {k: v for k, v in (("role", role), ("rlid", rlid)) if v is not None}
    links = []
    if page * limit < total:
        args = {"limit": limit, "page": page + 1, **kept,
                **({"since": since} if since is not None else {}),
                **({"optouts": optouts_after} if optouts_after is not None else {})}
        links.append(f'<{url}?{urlencode(args)}>; rel="next"')
    links.append(f'<{url}?{urlencode({**kept, "since": snapshot, "optouts": mark})}>; '
                 'rel="differences"')
    response.headers["Link"] = ", ".join(links)
    return response


def _opted_out(app_id: int, class_id: str, roles: tuple[str, ...] | None, after: int,
               listed: list[dict[str, Any]], key: bytes,
               tool_client_id: str) -> list[dict[str, Any]]:
    """Students of the class who opted out (of this app or all) after the previous call:
    Deleted, with the id the tool knows and nothing else, as NRPS differences report a member
    who left; the read engine shows them no more."""
    seen = {m["user_id"] for m in listed}
    gone = []
    for student, role in opted_out_of_class_since(store_engine(), app_id, class_id, after):
        user_id = pairwise(key, "sub", tool_client_id, student)
        if (roles is None or role in roles) and user_id not in seen:
            seen.add(user_id)
            gone.append({"user_id": user_id, "roles": [context_role(role)],
                         "status": "Deleted"})
    return gone


def _gone(enrolled: list[dict[str, Any]], found: list[Any], key: bytes,
          tool_client_id: str) -> list[dict[str, Any]]:
    """Removed enrollments whose user is gone too (no document left to read): reported as
    Deleted with the id the tool knows, and nothing else."""
    listed = {m.user_id for m in found}
    gone = []
    for e in enrolled:
        user = (e.get("user") or {}).get("sourcedId")
        if e.get("status") == "tobedeleted" and user and user not in listed:
            gone.append({"user_id": pairwise(key, "sub", tool_client_id, user),
                         "roles": [context_role(e.get("role", ""))], "status": "Deleted"})
    return gone


def _member(member: Any, key: bytes, tool_client_id: str, claims: frozenset[str],
            lis: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "user_id": pairwise(key, "sub", tool_client_id, member.user_id),
        "roles": [context_role(member.enrollment_role)],
        "status": ("Deleted" if member.deleted else "Active" if member.active
                   else "Inactive"),
    }
    found.update(identity_claims(member.user, claims))
    if lis is not None:
        found["lis_person_sourcedid"] = lis
    return found
