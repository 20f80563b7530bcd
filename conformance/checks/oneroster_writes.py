"""Gradebook writes (only with --write): create, replace, read back, delete, gone.

Every object the suite creates carries a fresh random sourcedId and is deleted again, so a
run leaves the gradebook as it found it unless the server itself fails mid-way.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ..cases import Case
from ..context import RunContext
from ..http import Reply
from ..outcome import CheckFailed
from . import check_kind


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _category(sourced_id: str, title: str, bindings: dict[str, str]) -> dict[str, Any]:
    return {"category": {"sourcedId": sourced_id, "status": "active",
                         "dateLastModified": _now(), "title": title}}


def _line_item(sourced_id: str, title: str, bindings: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "sourcedId": sourced_id,
        "status": "active",
        "dateLastModified": _now(),
        "title": title,
        "description": "Created by the conformance suite; safe to delete.",
        "assignDate": _now(),
        "dueDate": _now(),
        "class": {"sourcedId": bindings["class"]},
        "category": {"sourcedId": bindings["category"]},
        "resultValueMin": 0,
        "resultValueMax": 100,
    }
    if "school" in bindings:
        item["school"] = {"sourcedId": bindings["school"]}
    if "grading_period" in bindings:
        item["gradingPeriod"] = {"sourcedId": bindings["grading_period"]}
    return {"lineItem": item}


BODIES = {"categories": _category, "lineItems": _line_item}


def _expect(reply: Reply, allowed: list[int], step: str) -> None:
    if reply.status not in allowed:
        raise CheckFailed(f"{step}: {reply.describe()}, expected {' or '.join(map(str, allowed))}"
                          f" | body: {reply.excerpt()}")


def _round_trip(ctx: RunContext, case: Case, collection: str, bindings: dict[str, str]) -> str:
    sourced_id = str(uuid.uuid4())
    path = f"/{collection}/{sourced_id}"
    build = BODIES[collection]
    params = case.params
    put = ctx.call(path, service="gradebook", method="PUT",
                   body=build(sourced_id, "Conformance check", bindings))
    _expect(put, params.get("create_status", [201]), "create")
    replaced_title = "Conformance check (replaced)"
    put = ctx.call(path, service="gradebook", method="PUT",
                   body=build(sourced_id, replaced_title, bindings))
    _expect(put, params.get("replace_status", [200, 201]), "replace")
    read = ctx.call(path, service="gradebook")
    _expect(read, [200], "read back")
    stored = next(iter(read.body.values()), {}) if isinstance(read.body, dict) else {}
    if not isinstance(stored, dict) or stored.get("title") != replaced_title:
        title = stored.get("title") if isinstance(stored, dict) else None
        raise CheckFailed(f"read back: {read.describe()} has title {title!r}, "
                          f"expected the replaced title {replaced_title!r}")
    return sourced_id


def _delete(ctx: RunContext, case: Case, collection: str, sourced_id: str) -> None:
    path = f"/{collection}/{sourced_id}"
    deleted = ctx.call(path, service="gradebook", method="DELETE")
    _expect(deleted, case.params.get("delete_status", [204]), "delete")
    gone = ctx.call(path, service="gradebook")
    _expect(gone, [404], "read after delete")


@check_kind("gradebook-round-trip")
def gradebook_round_trip(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """PUT creates (201), PUT replaces, GET shows the replacement, DELETE (204), then 404."""
    collection = case.params["collection"]
    if collection == "categories":
        _delete(ctx, case, collection, _round_trip(ctx, case, collection, bindings))
        return
    category_id = str(uuid.uuid4())
    created = ctx.call(f"/categories/{category_id}", service="gradebook", method="PUT",
                       body=_category(category_id, "Conformance category", bindings))
    _expect(created, [200, 201], "create the line item's category")
    try:
        line_item = _round_trip(ctx, case, collection, {**bindings, "category": category_id})
        _delete(ctx, case, collection, line_item)
    finally:
        ctx.call(f"/categories/{category_id}", service="gradebook", method="DELETE")
