"""Assignment and Grade Services 2.0: line items, scores and results of one context (a
class), kept in the canonical gradebook.

A line item a tool creates is a canonical line item (and its results canonical results),
written through the sync engine as the tool's app source (`app:<client id>`, as OneRoster
gradebook writes are), so it appears in OneRoster gradebook reads; what AGS keeps beside it
(resourceId, tag, the resource link) is in the LTI binding, never modified. Reads go through
the policy layer's read engine. Scores must carry strictly increasing timestamps per (line
item, user): an older or equal one is refused (409) and stores nothing. `userId` is the
tool's pairwise id of the student, mapped back through the class's roster as the app sees it.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Blueprint, Response, current_app, request

from adapters.records import FamilyMode, Record
from gateway.auth.lti_registry import AGS_SCOPES, ToolRegistration
from gateway.auth.lti_state import (
    AgsLineItem,
    AlreadyUsed,
    add_line_item,
    claim_score_time,
    context_class,
    drop_line_item,
    has_scores,
    line_items,
    link_context,
    restore_score_time,
)
from gateway.auth.request_limits import bound_oauth_requests
from gateway.config import SourceConfig
from gateway.documents.oneroster_catalogue import V1P2, wire_fields
from gateway.extensions import (
    disclosure_log,
    end_request_reads,
    read_caches,
    request_reads,
    store_engine,
    write_engine,
)
from gateway.lti.lms_grades import forward_score
from gateway.lti.roster import DOCS, class_document, enrollments
from gateway.lti.services import ServiceCaller, ServiceError, service_caller
from gateway.lti.signing import pairwise
from gateway.lti.state import lti_state
from gateway.policy.reads import Listing, Reader, ReadSession, read_session
from gateway.policy.relations import column_is, sourced_ids_in
from gateway.public_url import public_root
from gateway.sync.runner import run_sync

LINEITEM, LINEITEM_READ, RESULT_READ, SCORE = AGS_SCOPES
ITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
ACTIVITY = frozenset({"Initialized", "Started", "InProgress", "Submitted", "Completed"})
GRADING = frozenset({"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"})
MAX_TEXT = 255
# what an LMS receives of a tool's score (its userId is the LMS's own)
FORWARDED = ("scoreGiven", "scoreMaximum", "activityProgress", "gradingProgress", "timestamp",
             "comment")
MAX_COMMENT = 4096
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

ags = Blueprint("lti_ags", __name__)
bound_oauth_requests(ags)  # bodies of a few fields: anything over 64 KiB is refused (413)


def tool_source(app_client_id: str) -> SourceConfig:
    """The tool writes as its app's source: the same owner as the app's OneRoster writes."""
    return SourceConfig(name=f"app:{app_client_id}"[:64], adapter="lti-ags",
                        max_error_share=0.0)


def _guard(view):  # noqa: ANN001, ANN202
    """A ServiceError anywhere in the view is its JSON error response."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except ServiceError as exc:
            return exc.response()

    return wrapped


def _json(body: Any, media_type: str, status: int = 200) -> Response:
    return current_app.response_class(orjson.dumps(body), status=status, mimetype=media_type)


def _bad(description: str) -> ServiceError:
    return ServiceError(400, "invalid_request", description)


class _Context:
    """One request's view of a context: the caller, the class, the read session."""

    def __init__(self, caller: ServiceCaller, context_id: str, session: ReadSession) -> None:
        self.caller, self.context_id, self.session = caller, context_id, session
        self.base = f"{public_root()}/lti/contexts/{context_id}"

    def item_url(self, line_item_id: str) -> str:
        return f"{self.base}/lineitems/{line_item_id}"


def _open(caller: ServiceCaller, context_id: str, log: bool = True):  # noqa: ANN202
    class_id = context_class(store_engine(), caller.tool.id, context_id)
    reader = Reader(caller.app.app_id, caller.app.agreement, secrets.token_hex(8),
                    endpoint=request.full_path.rstrip("?"),
                    log_disclosures=log and current_app.config["DISCLOSURE_LOG"],
                    internal_ids=True)
    session_cm = read_session(request_reads(), disclosure_log(), read_caches(), reader)
    return class_id, session_cm


def _not_found(what: str) -> ServiceError:
    return ServiceError(404, "not_found", f"no {what} for this tool")


def _documents(session: ReadSession, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    key = tuple(sorted(ids))
    listing = Listing("lineItems", DOCS, lambda: [sourced_ids_in("lineItems", key)],
                      limit=len(key),
                      keep=("sourcedId", "title", "assignDate", "dueDate", "resultValueMax"),
                      full=wire_fields("lineItems", V1P2), shape=("lti-ags-items", key))
    return {d["sourcedId"]: d for d in map(orjson.loads, session.list(listing).documents)}


def _item_json(ctx: _Context, item: AgsLineItem, doc: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"id": ctx.item_url(item.line_item_id), "label": doc["title"],
                             "scoreMaximum": _number(doc.get("resultValueMax")) or 1}
    if item.resource_link_id:
        found["resourceLinkId"] = item.resource_link_id
    if item.resource_id is not None:
        found["resourceId"] = item.resource_id
    if item.tag is not None:
        found["tag"] = item.tag
    if doc.get("assignDate"):
        found["startDateTime"] = doc["assignDate"]
    if doc.get("dueDate"):
        found["endDateTime"] = doc["dueDate"]
    return found


def _number(value: Any) -> float | int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else number


def _limit() -> tuple[int, int]:
    values = []
    for name, default, maximum in (("limit", DEFAULT_LIMIT, MAX_LIMIT), ("page", 1, 10**9)):
        raw = request.args.get(name)
        if raw is not None and (not raw.isdigit() or not 1 <= int(raw) <= maximum):
            raise _bad(f"{name} must be a whole number from 1 to {maximum}")
        values.append(default if raw is None else int(raw))
    return values[0], values[1]


@ags.get("/lti/contexts/<context_id>/lineitems")
@_guard
def list_items(context_id: str) -> Response:
    caller = service_caller(LINEITEM, LINEITEM_READ)
    limit, page = _limit()
    filters = {k: request.args.get(k) for k in ("resource_link_id", "resource_id", "tag")}
    class_id, session_cm = _open(caller, context_id)
    if class_id is None:
        raise _not_found(f"context {context_id!r}")
    with session_cm as session:
        if class_document(session, class_id) is None:
            raise _not_found(f"context {context_id!r}")
        ctx = _Context(caller, context_id, session)
        items = line_items(store_engine(), caller.tool.id, context_id, **filters)
        page_items = items[(page - 1) * limit: page * limit]
        docs = _documents(session, [i.line_item_id for i in page_items])
    body = [_item_json(ctx, i, docs[i.line_item_id]) for i in page_items
            if i.line_item_id in docs]
    response = _json(body, CONTAINER_TYPE)
    if page * limit < len(items):
        args = {"limit": limit, "page": page + 1, **{k: v for k, v in filters.items() if v}}
        response.headers["Link"] = f'<{ctx.base}/lineitems?{urlencode(args)}>; rel="next"'
    return response


def _text(body: dict[str, Any], name: str, *, required: bool = False,
          size: int = MAX_TEXT) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _bad(f"{name} is required")
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > size:
        raise _bad(f"{name} must be {'non-blank ' if required else ''}text of at most {size} "
                   "characters")
    return value


def _moment(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _bad(f"{name} must be an ISO 8601 date-time with a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body


def _apply(caller: ServiceCaller, events: list[Any]) -> None:
    _apply_as(caller.tool, events)


def _apply_as(tool: ToolRegistration, events: list[Any]) -> None:
    source = tool_source(tool.app_client_id)
    report = run_sync(write_engine(), source, iter(events), adapter_name=source.adapter)
    if report.state not in ("applied", "unchanged"):
        problems = "; ".join(f"{i.field}: {i.reason}" for i in report.issues
                             if i.level in ("error", "fatal")) or report.message
        raise ServiceError(400, "invalid_request", f"not stored: {problems}")
    end_request_reads()


@ags.post("/lti/contexts/<context_id>/lineitems")
@_guard
def create_item(context_id: str) -> Response:
    caller = service_caller(LINEITEM)
    body = _body()
    label = _text(body, "label", required=True)
    maximum = body.get("scoreMaximum")
    if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
        raise _bad("scoreMaximum is required and must be a number greater than 0")
    link = _text(body, "resourceLinkId", size=64)
    resource_id, tag = _text(body, "resourceId"), _text(body, "tag")
    start, end = _moment(body, "startDateTime"), _moment(body, "endDateTime")
    class_id, session_cm = _open(caller, context_id, log=False)
    if class_id is None:
        raise _not_found(f"context {context_id!r}")
    with session_cm as session:
        if class_document(session, class_id) is None:
            raise _not_found(f"context {context_id!r}")
    if link is not None and link_context(store_engine(), caller.tool.id, link) != context_id:
        raise _not_found(f"resource link {link!r} in this context")
    line_item_id = create_line_item(caller.tool, class_id, context_id, label=label,
                                    maximum=maximum, link=link, resource_id=resource_id,
                                    tag=tag, start=start, end=end)
    return _one(caller, context_id, line_item_id, status=201)


def create_line_item(tool: ToolRegistration, class_id: str, context_id: str, *, label: str,
                     maximum: float, link: str | None = None, resource_id: str | None = None,
                     tag: str | None = None, start: str | None = None,
                     end: str | None = None) -> str:
    """A canonical line item in the class, written as the tool's app source, bound to the
    tool's context (and link); its id. Raises ServiceError when the sync engine refuses it."""
    spec = NewLineItem(label, maximum, link, resource_id, tag, start, end)
    return create_line_items(tool, class_id, context_id, [spec])[0]


@dataclass(frozen=True)
class NewLineItem:
    label: str
    maximum: float
    link: str | None = None
    resource_id: str | None = None
    tag: str | None = None
    start: str | None = None
    end: str | None = None


def create_line_items(tool: ToolRegistration, class_id: str, context_id: str,
                      specs: list[NewLineItem]) -> list[str]:
    """Several line items in one sync run, so they are stored all or none (a deep-linking
    response naming several must not leave the first ones behind when a later one is
    refused); their ids, in order."""
    if not specs:
        return []
    category = _category(tool.client_id)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    ids = ["lti-" + uuid.uuid4().hex for _ in specs]
    events: list[Any] = [
        FamilyMode("categories", "delta", "AGS request"),
        Record("categories", category, {"title": f"LTI: {tool.name}"[:MAX_TEXT]},
               file="AGS request", line=1, status="active"),
        FamilyMode("lineItems", "delta", "AGS request"),
    ]
    for line, (line_item_id, spec) in enumerate(zip(ids, specs, strict=True), start=1):
        events.append(Record("lineItems", line_item_id, {
            "title": spec.label, "assignDate": spec.start or now,
            "dueDate": spec.end or spec.start or now, "class": class_id, "category": category,
            "resultValueMin": 0, "resultValueMax": spec.maximum},
            file="AGS request", line=line, status="active"))
    _apply_as(tool, events)
    for line_item_id, spec in zip(ids, specs, strict=True):
        add_line_item(write_engine(), tool.id, AgsLineItem(
            line_item_id, context_id, class_id, spec.link, spec.resource_id, spec.tag))
    return ids


def _category(tool_client_id: str) -> str:
    """The gradebook category a tool's line items are filed under (one per tool)."""
    return "lti-cat-" + hashlib.sha256(tool_client_id.encode()).hexdigest()[:16]


def _one(caller: ServiceCaller, context_id: str, line_item_id: str,
         status: int = 200) -> Response:
    class_id, session_cm = _open(caller, context_id)
    found = line_items(store_engine(), caller.tool.id, context_id, line_item_id=line_item_id)
    if class_id is None or not found:
        raise _not_found(f"line item {line_item_id!r}")
    with session_cm as session:
        docs = _documents(session, [line_item_id])
        ctx = _Context(caller, context_id, session)
    if line_item_id not in docs:
        raise _not_found(f"line item {line_item_id!r}")
    response = _json(_item_json(ctx, found[0], docs[line_item_id]), ITEM_TYPE, status)
    if status == 201:
        response.headers["Location"] = ctx.item_url(line_item_id)
    return response


@ags.get("/lti/contexts/<context_id>/lineitems/<line_item_id>")
@_guard
def get_item(context_id: str, line_item_id: str) -> Response:
    caller = service_caller(LINEITEM, LINEITEM_READ)
    return _one(caller, context_id, line_item_id)


def _found(caller: ServiceCaller, context_id: str, line_item_id: str) -> AgsLineItem:
    found = line_items(store_engine(), caller.tool.id, context_id, line_item_id=line_item_id)
    if not found:
        raise _not_found(f"line item {line_item_id!r}")
    return found[0]


@ags.put("/lti/contexts/<context_id>/lineitems/<line_item_id>")
@_guard
def update_item(context_id: str, line_item_id: str) -> Response:
    """A full replacement of what the tool may change: label, scoreMaximum, dates. The id,
    resourceLinkId, resourceId and tag stay as created (sent differently: 400)."""
    caller = service_caller(LINEITEM)
    body = _body()
    item = _found(caller, context_id, line_item_id)
    label = _text(body, "label", required=True)
    maximum = body.get("scoreMaximum")
    if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
        raise _bad("scoreMaximum is required and must be a number greater than 0")
    for name, kept in (("resourceLinkId", item.resource_link_id),
                       ("resourceId", item.resource_id), ("tag", item.tag)):
        if name in body and body[name] != kept:
            raise _bad(f"{name} cannot be changed (it stays {kept!r})")
    start, end = _moment(body, "startDateTime"), _moment(body, "endDateTime")
    _class_id, session_cm = _open(caller, context_id, log=False)
    with session_cm as session:
        docs = _documents(session, [line_item_id])
    if line_item_id not in docs:
        raise _not_found(f"line item {line_item_id!r}")
    doc = docs[line_item_id]
    if maximum != _number(doc.get("resultValueMax")) and has_scores(store_engine(),
                                                                     line_item_id):
        raise ServiceError(409, "conflict", "scoreMaximum cannot change once scores were "
                                            "posted (rescaling results is not offered)")
    _apply(caller, [FamilyMode("lineItems", "delta", "AGS request"), Record(
        "lineItems", line_item_id, {
            "title": label, "assignDate": start or doc.get("assignDate"),
            "dueDate": end or doc.get("dueDate"), "class": item.class_id,
            "category": _category(caller.tool.client_id),
            "resultValueMin": 0, "resultValueMax": maximum},
        file="AGS request", line=1, status="active")])
    return _one(caller, context_id, line_item_id)


@ags.delete("/lti/contexts/<context_id>/lineitems/<line_item_id>")
@_guard
def delete_item(context_id: str, line_item_id: str) -> Response:
    """The canonical line item is tombstoned (through the sync engine) and unbound."""
    caller = service_caller(LINEITEM)
    _found(caller, context_id, line_item_id)
    _apply(caller, [FamilyMode("lineItems", "delta", "AGS request"), Record(
        "lineItems", line_item_id, {}, file="AGS request", line=1, status="tobedeleted")])
    drop_line_item(write_engine(), caller.tool.id, line_item_id)
    return Response(status=204)


def _student(session: ReadSession, caller: ServiceCaller, class_id: str,
             user_id: str) -> str | None:
    """The member of the class whose pairwise id for this tool is `user_id`."""
    key = lti_state().pairwise_key()
    enrolled, _ = enrollments(session, class_id, None, limit=100_000)
    for enrollment in enrolled:
        sourced_id = enrollment["user"]["sourcedId"]
        if pairwise(key, "sub", caller.tool.client_id, sourced_id) == user_id:
            return sourced_id
    return None


def _score_status(activity: str, grading: str) -> str:
    if grading == "FullyGraded":
        return "fully graded"
    if activity in ("Submitted", "Completed"):
        return "submitted"
    return "not submitted"


@ags.post("/lti/contexts/<context_id>/lineitems/<line_item_id>/scores")
@_guard
def post_score(context_id: str, line_item_id: str) -> Response:
    caller = service_caller(SCORE)
    body = _body()
    user_id = _text(body, "userId", required=True)
    timestamp = _moment(body, "timestamp")
    if timestamp is None:
        raise _bad("timestamp is required (ISO 8601 with a time zone)")
    activity, grading = body.get("activityProgress"), body.get("gradingProgress")
    if activity not in ACTIVITY:
        raise _bad(f"activityProgress must be one of {', '.join(sorted(ACTIVITY))}")
    if grading not in GRADING:
        raise _bad(f"gradingProgress must be one of {', '.join(sorted(GRADING))}")
    given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, int | float) or given < 0:
            raise _bad("scoreGiven must be a number of at least 0")
        if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
            raise _bad("scoreMaximum is required with scoreGiven and must be greater than 0")
    comment = _text(body, "comment", size=MAX_COMMENT)
    class_id, session_cm = _open(caller, context_id, log=False)
    found = line_items(store_engine(), caller.tool.id, context_id, line_item_id=line_item_id)
    if class_id is None or not found:
        raise _not_found(f"line item {line_item_id!r}")
    with session_cm as session:
        docs = _documents(session, [line_item_id])
        student = _student(session, caller, class_id, user_id) if docs else None
    if line_item_id not in docs:
        raise _not_found(f"line item {line_item_id!r}")
    if student is None:
        raise _bad(f"userId {user_id!r} is not a member of this context")
    item_max = _number(docs[line_item_id].get("resultValueMax")) or 1
    score = None if given is None else round(given * item_max / maximum, 6)
    try:
        previous = claim_score_time(write_engine(), line_item_id, student, timestamp)
    except AlreadyUsed as exc:
        raise ServiceError(409, "conflict", f"timestamp {timestamp} is not after the last "
                                            f"score's ({exc}) for this user and line item; "
                                            "scores must arrive in time order") from None
    record = Record("results", "lti-r-" + hashlib.sha256(
        f"{line_item_id}\x1f{student}".encode()).hexdigest()[:32], {
        "lineItem": line_item_id, "student": student, "class": class_id,
        "scoreStatus": _score_status(activity, grading), "score": score,
        "scoreDate": timestamp[:10], "comment": comment,
        "inProgress": activity in ("Started", "InProgress")},
        file="AGS request", line=1, status="active")
    try:
        _apply(caller, [FamilyMode("results", "delta", "AGS request"), record])
    except ServiceError:
        restore_score_time(write_engine(), line_item_id, student, timestamp, previous)
        raise
    item = found[0]
    forward_score(caller.tool, class_id, line_item_id, student, timestamp=timestamp,
                  score={k: body[k] for k in FORWARDED if body.get(k) is not None},
                  line_item={"label": docs[line_item_id].get("title") or line_item_id,
                             "scoreMaximum": item_max, "tag": item.tag})
    return Response(status=204)


@ags.get("/lti/contexts/<context_id>/lineitems/<line_item_id>/results")
@_guard
def results(context_id: str, line_item_id: str) -> Response:
    caller = service_caller(RESULT_READ)
    limit, page = _limit()
    wanted = request.args.get("user_id")
    class_id, session_cm = _open(caller, context_id)
    found = line_items(store_engine(), caller.tool.id, context_id, line_item_id=line_item_id)
    if class_id is None or not found:
        raise _not_found(f"line item {line_item_id!r}")
    key = lti_state().pairwise_key()
    with session_cm as session:
        ctx = _Context(caller, context_id, session)
        docs = _documents(session, [line_item_id])
        if line_item_id not in docs:
            raise _not_found(f"line item {line_item_id!r}")
        listing = Listing("results", DOCS,
                          lambda: [column_is("results", "line_item_id", "li")(
                              {"li": line_item_id})],
                          limit=MAX_LIMIT * 10,
                          keep=("sourcedId", "student", "score", "comment"),
                          full=wire_fields("results", V1P2),
                          shape=("lti-ags-results", line_item_id))
        rows = [orjson.loads(d) for d in session.list(listing).documents]
    item_url = ctx.item_url(line_item_id)
    maximum = _number(docs[line_item_id].get("resultValueMax")) or 1
    body = []
    for row in rows:
        if row.get("score") is None:
            continue
        user = pairwise(key, "sub", caller.tool.client_id, row["student"]["sourcedId"])
        if wanted is not None and user != wanted:
            continue
        result = {"id": f"{item_url}/results/{user}", "scoreOf": item_url, "userId": user,
                  "resultScore": _number(row["score"]), "resultMaximum": maximum}
        if row.get("comment"):
            result["comment"] = row["comment"]
        body.append(result)
    page_rows = body[(page - 1) * limit: page * limit]
    response = _json(page_rows, RESULTS_TYPE)
    if page * limit < len(body):
        args = {"limit": limit, "page": page + 1, **({"user_id": wanted} if wanted else {})}
        response.headers["Link"] = f'<{item_url}/results?{urlencode(args)}>; rel="next"'
    return response
