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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, false, func, select

from adapters.edfi_mapping.resources import REFERENCES, RESOURCES, Resource
from gateway.edfi.lookups import Lookups
from gateway.edfi.problems import EdFiProblem
from gateway.model import ROSTER_TABLES
from gateway.model.columns import indexed_column
from gateway.request_bounds import INT32_MAX, INT64_MAX, bounded_int
from gateway.store.json_fields import json_text

DEFAULT_LIMIT, MAX_LIMIT = 25, 500
MAX_TOKEN = 1024
CONTROL = frozenset({"offset", "limit", "totalcount", "pagetoken", "pagesize",
                     "minchangeversion", "maxchangeversion"})
USERS = ROSTER_TABLES["users"]
_UNIQUE = ("studentUniqueId", "staffUniqueId", "contactUniqueId", "parentUniqueId")
_EDORG = ("schoolId", "localEducationAgencyId", "educationOrganizationId")
_PERSON_REF = {"roles": "user_id", "enrollments": "user_id"}
_EDORG_REF = {"roles": "org_id", "courses": "org_id", "classes": "school_id",
              "enrollments": "school_id"}


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


def decode_token(token: str) -> str:
    if len(token) > MAX_TOKEN:  # ours are short; a long one is not ours (and not decoded)
        raise bad("pageToken is not a token this server issued")
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))
        after = str(data["after"])
        if "\x00" in after:  # not one of ours; PostgreSQL text cannot hold it
            raise ValueError(after)
        return after
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise bad(f"pageToken {token!r} is not a token this server issued") from None


def encode_token(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def parse_paging(args: dict[str, str]) -> Paging:
    """`args` has lower-cased names (parameter names are case-insensitive in Ed-Fi)."""
    cursor_mode = "pagetoken" in args or "pagesize" in args
    if cursor_mode and ("offset" in args or "limit" in args):
        raise bad("use either offset/limit or pageToken/pageSize, not both")
    size = _int(args, "pagesize" if cursor_mode else "limit", 0, MAX_LIMIT)
    return Paging(
        offset=_int(args, "offset", 0, INT32_MAX) or 0,
        limit=DEFAULT_LIMIT if size is None else size,
        cursor=decode_token(args["pagetoken"]) if "pagetoken" in args else None,
        cursor_mode=cursor_mode,
        total=_bool(args.get("totalcount", "false"), "totalCount"),
        min_version=_int(args, "minchangeversion", 0, INT64_MAX),
        max_version=_int(args, "maxchangeversion", 0, INT64_MAX),
    )


def _bool(text: str, name: str) -> bool:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise bad(f"{name} must be true or false, got {text!r}")


def example_predicates(resource: str, args: dict[str, str], look: Lookups,
                       names: dict[str, str],
                       shown: frozenset[str] | None = None) -> list[ColumnElement[bool]]:
    """SQL for each query-by-example parameter (`names` maps lower-case to the client's).

    `shown` is what the app's profile lets it read: a property outside it is refused exactly
    like a property that does not exist, since an example on a hidden property would reveal
    it one narrowed count at a time. (None: the server's own lookups, not an app's query.)"""
    res = RESOURCES[resource]
    table = ROSTER_TABLES[res.family]
    out = []
    for lower, value in args.items():
        if lower in CONTROL:
            continue
        name = _property_name(resource, lower)
        if name is not None and shown is not None and _hidden(res, name, shown):
            name = None
        if name is None:
            raise bad(f"{names[lower]!r} is not a property of {resource} that can be queried")
        out.append(_predicate(resource, table, name, value, look))
    return out


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


def _predicate(resource: str, table: Table, name: str, value: str,
               look: Lookups) -> ColumnElement[bool]:
    res = RESOURCES[resource]
    if name in _UNIQUE:
        users = select(USERS.c.sourced_id).where(
            func.coalesce(json_text(USERS.c.data, "identifier"), USERS.c.sourced_id) == value)
        if res.family == "users":
            return table.c.sourced_id.in_(users)
        if res.family in _PERSON_REF:
            return table.c[_person_column(res, name)].in_(users)
    if name in _EDORG:
        try:
            orgs = look.orgs_with_id(int(value))
        except ValueError:
            raise bad(f"{name} must be an integer, got {value!r}") from None
        if res.family == "orgs":
            return table.c.sourced_id.in_(orgs)
        if res.family in _EDORG_REF:
            return table.c[_EDORG_REF[res.family]].in_(orgs)
    prop = res.prop(name)
    if prop is not None and len(prop.sources) == 1:
        family, field = prop.sources[0].split(".")
        if family == res.family:
            return json_text(table.c.data, field) == _text(prop.kind, value, name)
    raise bad(f"query by {name} is not supported on {resource}")


def _person_column(res: Resource, unique: str) -> str:
    """The column of the person a unique id names: the reference's own source field (a contact
    association names its student in `roles.student`), else the row's user."""
    for prop in res.identity_props:
        parts = {k for k, _ in REFERENCES.get(prop.reference or "", ("", ()))[1]}
        if unique in parts and len(prop.sources) == 1:
            return indexed_column(prop.sources[0].split(".")[1], "ref")
    return _PERSON_REF[res.family]


def _text(kind: str, value: str, name: str) -> Any:
    if kind == "integer" and not value.lstrip("-").isdigit():
        raise bad(f"{name} must be an integer, got {value!r}")
    return value


NOTHING = false()


def version_window(column: ColumnElement, paging: Paging) -> list[ColumnElement[bool]]:
    """minChangeVersion / maxChangeVersion (both inclusive) as predicates on `column`."""
    where = []
    if paging.min_version is not None:
        where.append(column >= paging.min_version)
    if paging.max_version is not None:
        where.append(column <= paging.max_version)
    return where
