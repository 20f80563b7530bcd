"""Query parameters of Ed-Fi collection reads: paging (offset/limit, pageToken/pageSize),
totalCount, change-version windows, and query by example on properties.

Query by example becomes SQL on the canonical table, ANDed with the policy predicate, so paging
and Total-Count stay honest. A property this gateway cannot translate is refused with 400, never
ignored (an ignored filter would return more than the client asked for).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement

from adapters.edfi_mapping.resources import RESOURCES, Resource
from gateway.edfi.problems import EdFiProblem
from gateway.policy.edfi.class_keys import ClassOf
from gateway.policy.edfi.examples import ExampleError, PersonOf, example_condition
from gateway.policy.edfi.lookups import Lookups
from gateway.request_bounds import INT32_MAX, INT64_MAX, bounded_int

DEFAULT_LIMIT, MAX_LIMIT = 25, 500
MAX_TOKEN = 1024
CONTROL = frozenset({"offset", "limit", "totalcount", "pagetoken", "pagesize",
                     "minchangeversion", "maxchangeversion"})


def bad(detail: str) -> EdFiProblem:
    return EdFiProblem("bad-request", detail)


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int
    cursor: str | None  # keyset paging: rows after this sourcedId
    cursor_mode: bool
    total: bool
    min_version: int | None
    max_version: int | None


def _int(args: dict[str, str], name: str, low: int, high: int) -> int | None:
    """An integer parameter within [low, high]; the bounds keep values the database's 64-bit
    integers (or Python's digit limit) cannot take from ever reaching a query."""
    if name not in args:
        return None
    value = bounded_int(args[name], low, high)
    if value is None:
        shown = args[name] if len(args[name]) <= 40 else args[name][:40] + "..."
        raise bad(f"{name} must be an integer from {low} to {high}, got {shown!r}")
    return value


def decode_token(token: str, unseal: Callable[[str], str | None] | None = None) -> str:
    """The key after which a page starts; `unseal` opens what `encode_token` was given
    sealed (an app under a pseudonymous agreement)."""
    if len(token) > MAX_TOKEN:  # ours are short; a long one is not ours (and not decoded)
        raise bad("pageToken is not a token this server issued")
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))
        after = str(data["after"])
        if unseal is not None:
            opened = unseal(after)
            if opened is None:
                raise ValueError(after)
            after = opened
        if "\x00" in after:  # not one of ours; PostgreSQL text cannot hold it
            raise ValueError(after)
        return after
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise bad(f"pageToken {token!r} is not a token this server issued") from None


def encode_token(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def parse_paging(args: dict[str, str],
                 unseal: Callable[[str], str | None] | None = None) -> Paging:
    """`args` has lower-cased names (parameter names are case-insensitive in Ed-Fi)."""
    cursor_mode = "pagetoken" in args or "pagesize" in args
    if cursor_mode and ("offset" in args or "limit" in args):
        raise bad("use either offset/limit or pageToken/pageSize, not both")
    size = _int(args, "pagesize" if cursor_mode else "limit", 0, MAX_LIMIT)
    return Paging(
        offset=_int(args, "offset", 0, INT32_MAX) or 0,
        limit=DEFAULT_LIMIT if size is None else size,
        cursor=decode_token(args["pagetoken"], unseal) if "pagetoken" in args else None,
        cursor_mode=cursor_mode,
        total=_bool(args.get("totalcount", "false"), "totalCount"),
        min_version=_int(args, "minchangeversion", 0, INT64_MAX),
        max_version=_int(args, "maxchangeversion", 0, INT64_MAX),
    )


def _bool(text: str, name: str) -> bool:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise bad(f"{name} must be true or false, got {text!r}")


def example_names(resource: str, args: dict[str, str], names: dict[str, str],
                  shown: frozenset[str] | None = None) -> tuple[tuple[str, str], ...]:
    """The query-by-example parameters as (property, value), in the client's order (`names`
    maps lower-case to the client's spelling).

    `shown` is what the app's profile lets it read: a property outside it is refused exactly
    like a property that does not exist, since an example on a hidden property would reveal
    it one narrowed count at a time. The refusal comes before any read, so it is the same
    whether or not a row would match. (None: the server's own lookups, not an app's query.)"""
    res = RESOURCES[resource]
    out = []
    for lower, value in args.items():
        if lower in CONTROL:
            continue
        name = _property_name(resource, lower)
        if name is not None and shown is not None and _hidden(res, name, shown):
            name = None
        if name is None:
            raise bad(f"{names[lower]!r} is not a property of {resource} that can be queried")
        out.append((name, value))
    return tuple(out)


def example_predicates(resource: str, examples: tuple[tuple[str, str], ...], look: Lookups,
                       person_of: PersonOf = None,
                       class_of: ClassOf = None) -> list[ColumnElement[bool]]:
    """The examples as SQL conditions (the policy layer's), a bad value as a 400."""
    try:
        return [example_condition(resource, name, value, look, person_of, class_of)
                for name, value in examples]
    except ExampleError as exc:
        raise bad(str(exc)) from None


def _hidden(res: Resource, name: str, shown: frozenset[str]) -> bool:
    """A top-level property the profile leaves out. Parts of references (schoolId,
    contactUniqueId, ...) belong to identity references, which every profile shows."""
    return res.prop(name) is not None and name not in shown


def _queryable(resource: str) -> dict[str, str]:
    res = RESOURCES[resource]
    names = {p.name for p in res.props if p.kind in ("string", "integer", "date", "boolean")}
    names |= set(res.key)
    return {n.lower(): n for n in names}


def _property_name(resource: str, lower: str) -> str | None:
    return _queryable(resource).get(lower)
