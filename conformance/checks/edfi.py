"""Ed-Fi behaviour that needs several requests: paging with Total-Count, query by example,
natural-key upsert, optimistic concurrency and change queries."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

from ..cases import Case
from ..context import RunContext
from ..http import Reply
from ..outcome import CaseSkipped, CheckFailed
from ..paging import total_count
from . import check_kind


def _array(reply: Reply) -> list[dict[str, Any]]:
    if reply.status != 200 or not isinstance(reply.body, list):
        raise CheckFailed(f"{reply.describe()}: expected 200 with a JSON array | {reply.excerpt()}")
    return reply.body


@check_kind("edfi-paging")
def edfi_paging(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """Total-Count equals what walking offset/limit returns; no repeats; past the end is []."""
    path = case.params["path"]
    first = ctx.call(path, query={"limit": 1, "totalCount": "true"})
    _array(first)
    total = total_count(first, "Total-Count")
    if total < 2:
        raise CaseSkipped(f"{path} holds {total} item(s); paging needs at least two")
    limit = max(1, min(500, -(-total // 3)))
    if -(-total // limit) > ctx.config.max_pages:
        raise CaseSkipped(f"{path} needs more than --max-pages {ctx.config.max_pages} pages")
    ids: list[str] = []
    for offset in range(0, total, limit):
        ids += [str(i.get("id")) for i in _array(ctx.call(path, query={"limit": limit,
                                                                        "offset": offset}))]
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    if repeated:
        raise CheckFailed(f"walking {path} by {limit} returned ids twice: {repeated[:5]}")
    if len(ids) != total:
        raise CheckFailed(f"Total-Count says {total}, walking {path} returned {len(ids)}")
    beyond = _array(ctx.call(path, query={"limit": limit, "offset": total}))
    if beyond:
        raise CheckFailed(f"{path}?offset={total} (past the end) returned {len(beyond)} items")


@check_kind("edfi-query-by-example")
def edfi_query_by_example(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """Querying by a property's value returns only items with that value, including the source."""
    path, prop = case.params["path"], case.params["property"]
    sample = _array(ctx.call(path, query={"limit": 1}))
    if not sample or sample[0].get(prop) is None:
        raise CaseSkipped(f"no item of {path} carries {prop!r}")
    value = sample[0][prop]
    found = _array(ctx.call(path, query={prop: str(value), "limit": 500}))
    wrong = [i.get("id") for i in found if i.get(prop) != value]
    if wrong:
        raise CheckFailed(f"{path}?{prop}={value} returned items with another value: {wrong[:5]}")
    if sample[0].get("id") not in {i.get("id") for i in found}:
        raise CheckFailed(f"{path}?{prop}={value} did not return item {sample[0].get('id')}")


def _body(case: Case) -> dict[str, Any]:
    text = json.dumps(case.params["body"]).replace("{unique}", uuid.uuid4().hex[:12])
    return json.loads(text)


def _created(ctx: RunContext, case: Case) -> tuple[str, dict[str, Any], Reply]:
    path, body = case.params["path"], _body(case)
    reply = ctx.call(path, method="POST", body=body)
    if reply.status != 201:
        raise CheckFailed(f"create: {reply.describe()}, expected 201 | {reply.excerpt()}")
    location = reply.header("Location")
    if not location:
        raise CheckFailed(f"create: {reply.describe()} has no Location header")
    return location, body, reply


@check_kind("edfi-upsert-round-trip")
def edfi_upsert_round_trip(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """POST creates (201 + Location); POST of the same natural key updates (200), GET shows it,
    DELETE answers 204 and the item is gone (404)."""
    location, body, _ = _created(ctx, case)
    changed = {**body, **case.params["change"]}
    again = ctx.call(case.params["path"], method="POST", body=changed)
    if again.status != 200:
        raise CheckFailed(f"upsert by natural key: {again.describe()}, expected 200")
    read = ctx.call(location)
    if read.status != 200 or not isinstance(read.body, dict):
        raise CheckFailed(f"read back: {read.describe()}, expected 200 with an object")
    for key, value in case.params["change"].items():
        if read.body.get(key) != value:
            raise CheckFailed(f"read back: {key} is {read.body.get(key)!r}, expected {value!r}")
    deleted = ctx.call(location, method="DELETE")
    if deleted.status != 204:
        raise CheckFailed(f"delete: {deleted.describe()}, expected 204")
    gone = ctx.call(location)
    if gone.status != 404:
        raise CheckFailed(f"read after delete: {gone.describe()}, expected 404")


@check_kind("edfi-etag")
def edfi_etag(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """GET by id carries an ETag; PUT with a stale If-Match answers 412 optimistic-lock-failed."""
    location, body, _ = _created(ctx, case)
    try:
        read = ctx.call(location)
        etag = read.header("ETag")
        if not etag:
            raise CheckFailed(f"{read.describe()}: no ETag header")
        stale = ctx.call(location, method="PUT", body={**body, "id": location.rsplit("/", 1)[-1]},
                         headers={"If-Match": '"conformance-stale"'})
        if stale.status != 412:
            raise CheckFailed(f"PUT with a stale If-Match: {stale.describe()}, expected 412")
        problem = stale.body.get("type", "") if isinstance(stale.body, dict) else ""
        if not str(problem).startswith("urn:ed-fi:api:optimistic-lock-failed"):
            raise CheckFailed(f"412 body type is {problem!r}, expected optimistic-lock-failed")
    finally:
        ctx.call(location, method="DELETE")


@check_kind("edfi-change-queries")
def edfi_change_queries(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """availableChangeVersions gives a range; a window above it is empty; deletes is a list."""
    versions = ctx.call("/availableChangeVersions", service="changeQueries")
    body = versions.body if isinstance(versions.body, dict) else {}
    newest = body.get("newestChangeVersion")
    if versions.status != 200 or not isinstance(newest, int):
        raise CheckFailed(f"{versions.describe()}: expected 200 with integer newestChangeVersion")
    path = case.params["path"]
    above = _array(ctx.call(path, query={"minChangeVersion": newest + 1}))
    if above:
        raise CheckFailed(f"{path}?minChangeVersion={newest + 1} returned {len(above)} items")
    deletes = _array(ctx.call(f"{path}/deletes", query={"minChangeVersion": 0, "limit": 25}))
    malformed = [d for d in deletes if "id" not in d or "changeVersion" not in d]
    if malformed:
        raise CheckFailed(f"{path}/deletes entries lack id or changeVersion: {malformed[:2]}")
