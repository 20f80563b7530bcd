"""Every collection an official document describes (and the server serves) validates against
that document, and so does its first item read by id: the standards' own schemas, from
`--schema-dir`, beside the suite's `specs/`. An Ed-Fi response narrowed by a read profile (its
Content-Type is a profile media type, `application/vnd.ed-fi.*.readable+json`) may withhold
required properties; it must still add nothing and type everything right."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..cases import Case
from ..context import RunContext, unwrap
from ..openapi import OpenApiDocument, OpenApiError
from ..outcome import CaseSkipped, CheckFailed
from . import check_kind


def _first_id(body: Any, pick: str) -> str | None:
    items = body if isinstance(body, list) else unwrap(body)
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return None
    value = items[0].get(pick)
    return str(value) if value is not None else None


def _single(document: OpenApiDocument, template: str) -> str | None:
    """The document's by-id path under a collection (`/ed-fi/schools/{id}`)."""
    return next((t for t in document.document["paths"]
                 if t.startswith(template + "/{") and t.count("/") == template.count("/") + 1
                 and "get" in document.document["paths"][t]), None)


def _problems(document: OpenApiDocument, template: str, reply: Any) -> list[str]:
    try:
        found = document.validate_response("GET", template, reply.status, reply.body)
    except OpenApiError as exc:
        return [str(exc)]
    if (reply.header("Content-Type") or "").startswith("application/vnd.ed-fi."):
        found = [p for p in found if not p.message.endswith("is a required property")]
    return [f"{reply.describe()}: {p}" for p in found[:3]]


@check_kind("official-schema")
def official_schema(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    official = ctx.official()
    if official is None:
        raise CaseSkipped("needs --schema-dir")
    params = case.params
    paths = official.collections(params.get("prefix", "/"), params.get("base", ""))
    if not paths:
        raise CaseSkipped(f"no document in {official.folder} ({', '.join(official.names())}) "
                          f"describes collections under {params.get('prefix', '/')}")
    checked, problems = 0, []
    for document, template in paths:
        path = template.removeprefix(params.get("strip", ""))
        reply = ctx.call(path, service=params.get("service"), query={"limit": 25})
        if reply.status == 404:
            continue  # a resource this server does not serve
        checked += 1
        problems += _problems(document, template, reply)
        the_id, single = _first_id(reply.body, params.get("pick", "id")), _single(document,
                                                                                  template)
        if the_id is not None and single is not None and reply.status == 200:
            item = single.split("{", 1)[0] + quote(the_id, safe="")
            problems += _problems(document, item,
                                  ctx.call(item.removeprefix(params.get("strip", "")),
                                           service=params.get("service")))
    if not checked:
        raise CaseSkipped("the server serves none of the collections the documents describe")
    if problems:
        raise CheckFailed(f"{len(problems)} problem(s) against the official documents: "
                          + "; ".join(problems[:8]))
