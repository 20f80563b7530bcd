"""Collection behaviour that needs several requests to judge: paging, filters, sort, fields."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..cases import Case
from ..context import RunContext, dig
from ..outcome import CaseSkipped, CheckFailed
from ..paging import (
    choose_limit,
    comparable,
    count,
    offset_and_limit,
    page_items,
    parse_links,
    total_count,
    walk,
)
from . import check_kind


def _collection(case: Case) -> tuple[str, str | None, str | None]:
    return case.params["path"], case.params.get("service"), case.params.get("envelope")


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item.get("sourcedId")) for item in items]


def _sample(values: set[str] | list[str], limit: int = 5) -> str:
    ordered = sorted(values)
    more = f" (+{len(ordered) - limit} more)" if len(ordered) > limit else ""
    return ", ".join(ordered[:limit]) + more


@check_kind("paging-walk")
def paging_walk(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """X-Total-Count must equal what walking every page returns, without repeats or gaps."""
    path, service, envelope = _collection(case)
    query = {"sort": "sourcedId", "orderBy": "asc"}
    total = count(ctx, path, service, query, bindings)
    if total < 2:
        raise CaseSkipped(f"{path} holds {total} item(s); paging needs at least two")
    limit = choose_limit(ctx, total)
    result = walk(ctx, path, service=service, query=query, bindings=bindings, limit=limit,
                  envelope=envelope)
    for page in result.pages:
        if total_count(page) != total:
            raise CheckFailed(f"{page.describe()}: X-Total-Count {page.header('X-Total-Count')} "
                              f"differs from the first page's {total}")
    ids = _ids(result.items)
    repeated = {i for i, n in Counter(ids).items() if n > 1}
    if repeated:
        raise CheckFailed(f"walking {path} by {limit} returned ids twice: {_sample(repeated)}")
    if len(ids) != total:
        raise CheckFailed(f"X-Total-Count says {total} but walking {path} by {limit} "
                          f"returned {len(ids)} items over {len(result.pages)} pages")
    if case.params.get("links"):
        _check_links(result.pages, total, limit)


def _check_links(pages: list[Any], total: int, limit: int) -> None:
    last_offset = ((total - 1) // limit) * limit
    for index, page in enumerate(pages):
        offset = index * limit
        links = parse_links(page.header("Link"), page.url)
        expected: dict[str, int | None] = {
            "first": 0,
            "last": last_offset,
            "next": offset + limit if offset + limit < total else None,
            "prev": max(0, offset - limit) if offset > 0 else None,
        }
        for rel, wanted in expected.items():
            if wanted is None:
                if rel in links:
                    raise CheckFailed(f"{page.describe()}: Link rel={rel} present on a page "
                                      f"that has no {rel} page")
                continue
            if rel not in links:
                raise CheckFailed(f"{page.describe()}: no Link rel={rel} "
                                  f"(Link: {page.header('Link')!r})")
            got_offset, got_limit = offset_and_limit(links[rel])
            if (got_offset or 0) != wanted or got_limit not in (None, limit):
                raise CheckFailed(f"{page.describe()}: Link rel={rel} is {links[rel]}, expected "
                                  f"offset={wanted} limit={limit}")


def _matches(value: Any, op: str, wanted: str) -> tuple[bool, bool]:
    """(must match, may match): the standard leaves absent values under `!=` and the case of
    `~` open, so a server may go either way there and still be right."""
    if value is None or isinstance(value, list | dict):
        return (False, op == "!=")
    if op == "~":
        return (str(wanted) in str(value), str(wanted).lower() in str(value).lower())
    target: Any = wanted
    if isinstance(value, int | float) and not isinstance(value, bool):
        target = float(wanted)
    left, right = comparable(value), comparable(target)
    outcome = {
        "=": left == right,
        "!=": left != right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]
    return (outcome, outcome)


def _pick_value(items: list[dict[str, Any]], field: str) -> str:
    values = sorted(
        {str(v).lower() if isinstance(v, bool) else str(v) for v in (dig(i, field) for i in items)
         if v is not None and not isinstance(v, list | dict)},
        key=comparable,
    )
    if not values:
        raise CaseSkipped(f"no item carries a scalar {field!r} to filter on")
    return values[len(values) // 2]


def _expected_ids(items: list[dict[str, Any]], clauses: list[tuple[str, str, str]],
                  joiner: str) -> tuple[set[str], set[str]]:
    """Ids that must be selected, and ids that may be."""
    combine = all if joiner == "AND" else any
    must, may = set(), set()
    for item in items:
        verdicts = [_matches(dig(item, f), op, v) for f, op, v in clauses]
        if combine(v[0] for v in verdicts):
            must.add(str(item.get("sourcedId")))
        if combine(v[1] for v in verdicts):
            may.add(str(item.get("sourcedId")))
    return must, may


@check_kind("filter-vs-client")
def filter_vs_client(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """Each operator must select exactly what the same predicate selects client-side."""
    path, service, _ = _collection(case)
    everything = walk(ctx, path, service=service, query={"sort": "sourcedId"}, bindings=bindings)
    field = case.params["field"]
    value = _pick_value(everything.items, field)
    filters: list[tuple[list[tuple[str, str, str]], str]] = [
        ([(field, op, value)], "AND") for op in case.params.get("operators", ["="])
    ]
    if case.params.get("logical"):
        other = case.params.get("second_field", field)
        second = _pick_value(everything.items, other)
        filters += [
            ([(field, "=", value), (other, "!=", second)], "AND"),
            ([(field, "=", value), (other, "=", second)], "OR"),
        ]
    mismatches = []
    for clauses, joiner in filters:
        text = f" {joiner} ".join(f"{f}{op}'{v}'" for f, op, v in clauses)
        got = set(_ids(walk(ctx, path, service=service, query={"filter": text},
                            bindings=bindings).items))
        must, may = _expected_ids(everything.items, clauses, joiner)
        if not must <= got <= may:
            mismatches.append(
                f"filter={text}: missing [{_sample(must - got)}], "
                f"unexpected [{_sample(got - may)}]"
            )
    if mismatches:
        raise CheckFailed(f"{path}: " + "; ".join(mismatches))


@check_kind("sort-order")
def sort_order(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """Walking with sort and orderBy must yield the field's values in order across pages."""
    path, service, _ = _collection(case)
    field = case.params["field"]
    total = count(ctx, path, service, {}, bindings)
    limit = choose_limit(ctx, total)
    for order in case.params.get("orders", ["asc", "desc"]):
        items = walk(ctx, path, service=service, query={"sort": field, "orderBy": order},
                     bindings=bindings, limit=limit).items
        keys = [comparable(v) for v in (dig(i, field) for i in items) if v is not None]
        if len(set(keys)) < 2:
            raise CaseSkipped(f"{path} has fewer than two distinct {field!r} values")
        wanted = sorted(keys, reverse=order == "desc")
        if keys != wanted:
            position = next(i for i, (a, b) in enumerate(zip(keys, wanted, strict=True)) if a != b)
            raise CheckFailed(
                f"{path}?sort={field}&orderBy={order}: item {position} has {field}="
                f"{keys[position][1]!r} where {wanted[position][1]!r} belongs"
            )


@check_kind("fields-projection")
def fields_projection(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """With `fields`, items carry the requested fields and nothing else."""
    path, service, _ = _collection(case)
    fields = case.params["fields"]
    reply = ctx.call(path, service=service, query={"fields": ",".join(fields), "limit": 10},
                     bindings=bindings)
    items = page_items(reply)
    if not items:
        raise CaseSkipped(f"{path} is empty")
    for item in items:
        extra = sorted(set(item) - set(fields))
        if extra:
            raise CheckFailed(f"{reply.describe()}: item {item.get('sourcedId')!r} carries "
                              f"unrequested fields {extra}")
        missing = [f for f in case.params.get("always_present", []) if f not in item]
        if missing:
            raise CheckFailed(f"{reply.describe()}: item lacks requested fields {missing}")
    document = ctx.spec_document(service)
    if document is not None:
        problems = document.validate_response("GET", reply.url, 200, reply.body, partial=True)
        if problems:
            raise CheckFailed(f"{reply.describe()}: projected body breaks the partial schema: "
                              f"{problems[0]}")
