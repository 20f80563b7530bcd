"""Every Ed-Fi GET of student-bearing or roster data: Ed-Fi's query language translated onto
the policy layer's read engine.

the resource's subset AND query by example AND the change-version window -> a `Listing` (the
engine adds the app's scope: agreement schools, opt-outs) -> one page in sourcedId order
(offset, or keyset for page tokens) with the total when asked -> documents rendered for this
app (pseudonymous person keys unless it is granted identifiers, pseudonymous section keys
where the agreement says so; its read profile) -> the
disclosure log. Nothing here reads the store any other way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request

from adapters.edfi_mapping.resources import RESOURCES
from gateway.auth.guard import Caller
from gateway.edfi.documents import EdFiDocuments
from gateway.edfi.problems import EdFiProblem
from gateway.edfi.profiles import Profile, read_profile
from gateway.edfi.query import encode_token, example_names, example_predicates, parse_paging
from gateway.edfi.serialize import PersonKey
from gateway.extensions import disclosure_log, read_caches, request_reads, store_engine
from gateway.policy.disclosures import DisclosureEntry
from gateway.policy.edfi.class_keys import ClassKeys, class_keys
from gateway.policy.edfi.examples import PersonOf, changed_between
from gateway.policy.edfi.ids import sourced_id_of
from gateway.policy.edfi.lookups import Lookups
from gateway.policy.edfi.rows import visible_row
from gateway.policy.edfi.subsets import subset
from gateway.policy.reads import Listing, Reader, ReadSession, read_session
from gateway.policy.shown_edfi_ids import EdFiIdCipher


@dataclass(frozen=True)
class Request:
    caller: Caller
    correlation_id: str


@dataclass(frozen=True)
class PersonKeys:
    """How this app's person keys read: `shown` renders one, `person_of` maps one it was
    shown back to the person (both None: the district's own ids)."""

    shown: PersonKey | None = None
    person_of: PersonOf = None


def person_keys(session: ReadSession, caller: Caller) -> PersonKeys:
    """The district's ids where the agreement lets the app read `users.identifier`; else the
    app's pseudonyms (gateway.policy.pseudonyms), in keys, references and examples alike."""
    if "identifier" in caller.agreement.allowed_fields("users"):
        return PersonKeys()
    pseudonyms = read_caches().pseudonyms.for_app(session.conn, store_engine(), caller.app_id)

    def shown(sourced_id: str, _data: dict[str, Any]) -> str:
        return pseudonyms.of(sourced_id)

    def person_of(value: str) -> str | None:
        return pseudonyms.person(session.conn, value)

    return PersonKeys(shown, person_of)


def shown_ids(caller: Caller) -> EdFiIdCipher | None:
    """The Ed-Fi ids this app is shown (gateway.policy.shown_edfi_ids): its own under a
    pseudonymous agreement, in every body and header; None: the district's."""
    return read_caches().pseudonyms.edfi_ids_for(request_reads(), caller.app_id,
                                                 caller.agreement)


def district_id(caller: Caller, the_id: str) -> str | None:
    """The district's Ed-Fi id behind one the app sent (its own, decrypted; the district's
    own id then names nothing, as an unknown one does)."""
    ids = shown_ids(caller)
    return the_id if ids is None else ids.district(the_id)


def _sourced_id(caller: Caller, resource: str, the_id: str) -> str | None:
    found = district_id(caller, the_id)
    return None if found is None else sourced_id_of(store_engine(), resource, found)


def reader(req: Request, *, log: bool = True) -> Reader:
    return Reader(req.caller.app_id, req.caller.agreement, req.correlation_id,
                  endpoint=request.full_path.rstrip("?"),
                  log_disclosures=log and current_app.config["DISCLOSURE_LOG"])


def _args() -> tuple[dict[str, str], dict[str, str]]:
    args = {k.lower(): v for k, v in request.args.items()}
    return args, {k.lower(): k for k in request.args}


def collection(req: Request, resource: str) -> Response:
    res = RESOURCES[resource]
    profile = read_profile(resource, req.caller.agreement, request.headers.get("Accept"))
    args, names = _args()
    sealed = bool(req.caller.agreement.pseudonymous_ids)
    paging = parse_paging(args, unseal=_unseal if sealed else None)
    ids = shown_ids(req.caller)
    examples = example_names(resource, args, names, profile.shown)  # a 400 before any read
    with read_session(request_reads(), disclosure_log(), read_caches(),
                      reader(req)) as session:
        keys = person_keys(session, req.caller)
        classes = class_keys(session.shown_ids())
        look = Lookups(session.conn)

        def where() -> list:
            return [subset(resource),
                    *example_predicates(resource, examples, look, keys.person_of,
                                        classes.class_of),
                    *changed_between(resource, paging.min_version, paging.max_version)]

        listing = Listing(
            res.family, EdFiDocuments(resource, profile, keys.shown, ids=ids,
                                      class_key=classes.shown), where,
            limit=paging.limit, offset=paging.offset,
            after=paging.cursor if paging.cursor_mode else None,
            count=paging.total, peek=paging.cursor_mode,
            disclosed=profile.disclosed_fields(resource),
            shape=("edfi", resource, examples, paging.min_version, paging.max_version))
        page = session.list(listing)
    response = _bytes_response(b"[" + b",".join(page.documents) + b"]",
                               profile.content_type(resource))
    if page.total is not None:
        response.headers["Total-Count"] = str(page.total)
    if page.more and page.last is not None:
        response.headers["Next-Page-Token"] = encode_token(
            read_caches().pseudonyms.seal(request_reads(), page.last) if sealed else page.last)
    return response


def _unseal(token: str) -> str | None:
    """A page token's key for an app under a pseudonymous agreement: sealed, since the key
    is a district id (gateway.policy.pseudonyms)."""
    return read_caches().pseudonyms.unseal(request_reads(), token)


def _single_listing(resource: str, profile: Profile, keys: PersonKeys,
                    ids: EdFiIdCipher | None, classes: ClassKeys) -> Listing:
    return Listing(RESOURCES[resource].family,
                   EdFiDocuments(resource, profile, keys.shown, ids=ids,
                                 class_key=classes.shown),
                   lambda: [subset(resource)], disclosed=profile.disclosed_fields(resource),
                   shape=("edfi", resource))


def single(req: Request, resource: str, the_id: str) -> Response:
    profile = read_profile(resource, req.caller.agreement, request.headers.get("Accept"))
    sourced_id = _sourced_id(req.caller, resource, the_id)
    ids = shown_ids(req.caller)
    with read_session(request_reads(), disclosure_log(), read_caches(),
                      reader(req)) as session:
        row = None if sourced_id is None else visible_row(session, resource, sourced_id)
        if row is None:
            raise EdFiProblem("not-found", f"no {resource} item with id {the_id!r} is visible "
                                           "to this app")
        etag = f'"{row.change_version}"'
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            return Response(status=304, headers={"ETag": etag})
        page = session.single(_single_listing(resource, profile,
                                              person_keys(session, req.caller), ids,
                                              class_keys(session.shown_ids())),
                              sourced_id)
    if page is None:  # pragma: no cover - the row was visible in this same snapshot
        raise EdFiProblem("not-found", f"no {resource} item with id {the_id!r}")
    response = _bytes_response(page.documents[0], profile.content_type(resource))
    response.headers["ETag"] = etag
    return response


def visible_item(req: Request, resource: str, the_id: str,
                 render: Callable[[ReadSession, Any], Any]) -> tuple[Any, Any] | None:
    """For a write: the row behind an Ed-Fi id if this app may see it, and `render(session,
    row)` of it, read from the store as it is now (not the request's snapshot)."""
    sourced_id = _sourced_id(req.caller, resource, the_id)
    if sourced_id is None:
        return None
    with store_engine().connect() as conn, read_session(
            conn, disclosure_log(), read_caches(), reader(req, log=False)) as session:
        row = visible_row(session, resource, sourced_id)
        return None if row is None else (row, render(session, row))


def disclose_keys(req: Request, resource: str, rows: list[Any]) -> None:
    """`/deletes` and `/keyChanges` show natural keys, and a student's key names the student
    (studentUniqueId): logged like any other read of student data."""
    if not RESOURCES[resource].student_bearing or not rows:
        return
    if not current_app.config["DISCLOSURE_LOG"]:
        return
    from gateway.edfi.documents import students_of

    disclosure_log().record(DisclosureEntry(
        app_id=req.caller.app_id, request_id=req.correlation_id,
        endpoint=request.full_path.rstrip("?"), fields=tuple(RESOURCES[resource].key),
        students=tuple(students_of(resource, rows))))


def _bytes_response(body: bytes, content_type: str) -> Response:
    return current_app.response_class(body, mimetype=content_type)


def json_response(body: Any, content_type: str = "application/json") -> Response:
    response = current_app.response_class(json.dumps(body, separators=(",", ":")),
                                          mimetype=content_type)
    return response
