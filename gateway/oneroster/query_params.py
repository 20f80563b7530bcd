"""Read the `sort`, `orderBy`, `fields`, `limit` and `offset` parameters of a collection request.

Spec notes (OneRoster 1.2 Rostering OpenAPI; 1.1 differs where said):
- `limit` is an integer of at least 1, default 100; `offset` an integer of at least 0. An
  oversize limit is clamped to the gateway's maximum (consumers ask for 5,000 or 10,000), but
  anything that is not a plain non-negative integer, and `limit=0`, is refused: a server that
  ignored a bad limit once returned whole tables.
- An unknown `fields` name is a 400 `invalid_selection_field` in 1.2. OneRoster 1.1 answered
  200 with a warning and ignored the name; a 1.1 view can get that by passing a `known` that
  accepts everything and dropping the names its own check rejects.
- `sort` names one field in the spec; a comma-separated list is accepted too. A bad `sort` or
  `orderBy` raises `invalid_sort_field`, which 1.2 (lacking that token) sends as
  `invalid_selection_field` (see query_error).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gateway.policy.query_errors import (
    INVALID_DATA,
    INVALID_SELECTION_FIELD,
    INVALID_SORT_FIELD,
    QueryError,
)
from gateway.request_bounds import INT32_MAX, bounded_int

_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def parse_sort(
    sort: str | None, order_by: str | None, known: Callable[[str], bool]
) -> list[SortKey]:
    """The client's sort keys, all in the `orderBy` direction; the caller adds the tie-break."""
    descending = _descending(order_by)
    if sort is None:
        return []
    names = _split_names([sort])
    if not names:
        raise QueryError(
            INVALID_SORT_FIELD, "sort: no field name given", parameter="sort", field=sort
        )
    unknown = [name for name in names if not known(name)]
    if unknown:
        raise QueryError(
            INVALID_SORT_FIELD,
            f"sort: cannot sort on {_quoted(unknown)}",
            parameter="sort",
            field=unknown[0],
        )
    return [SortKey(name, descending) for name in names]


def parse_fields(values: list[str], known: Callable[[str], bool]) -> list[str] | None:
    """The selected field names in first-seen order, or None when no `fields` was sent."""
    if not values:
        return None
    names = _split_names(values)
    if not names:
        raise QueryError(
            INVALID_SELECTION_FIELD,
            "fields: no field name given",
            parameter="fields",
            field=",".join(values),
        )
    unknown = [name for name in names if not known(name)]
    if unknown:
        raise QueryError(
            INVALID_SELECTION_FIELD,
            f"fields: unknown {'field' if len(unknown) == 1 else 'fields'} {_quoted(unknown)}",
            parameter="fields",
            field=unknown[0],
        )
    return names


def parse_page(limit: str | None, offset: str | None, *, default: int = 100, maximum: int) -> Page:
    """Validated paging; a limit above `maximum` is served as `maximum`, not refused."""
    if maximum < 1:
        raise ValueError(f"maximum page size must be at least 1, got {maximum}")
    size = default if limit is None else _integer("limit", limit)
    if size < 1:
        raise QueryError(
            INVALID_DATA,
            f"limit: must be at least 1, got '{limit}'",
            parameter="limit",
            field=limit,
        )
    start = 0 if offset is None else _integer("offset", offset)
    if start > INT32_MAX:
        raise QueryError(
            INVALID_DATA,
            f"offset: must be at most {INT32_MAX}, got '{_shown(offset)}'",
            parameter="offset",
            field=_shown(offset),
        )
    return Page(limit=min(size, maximum), offset=start)


def _descending(order_by: str | None) -> bool:
    if order_by is None:
        return False
    direction = order_by.strip().lower()
    if direction not in ("asc", "desc"):
        raise QueryError(
            INVALID_SORT_FIELD,
            f"orderBy: expected 'asc' or 'desc', got '{order_by}'",
            parameter="orderBy",
            field=order_by,
        )
    return direction == "desc"


def _integer(parameter: str, text: str) -> int:
    """A plain non-negative integer. A number longer than any bound (thousands of digits
    included) is read as INT32_MAX + 1: above every limit, so a limit is clamped and an offset
    refused, without int() meeting Python's digit limit."""
    stripped = text.strip()
    if _DIGITS.fullmatch(stripped) is None:
        raise QueryError(
            INVALID_DATA,
            f"{parameter}: expected a whole number such as 100, got '{_shown(text)}'",
            parameter=parameter,
            field=_shown(text),
        )
    value = bounded_int(stripped, 0, INT32_MAX)
    return INT32_MAX + 1 if value is None else value


def _shown(text: str, most: int = 40) -> str:
    """A parameter value quoted back in an error, cut short."""
    return text if len(text) <= most else text[:most] + "..."


def _split_names(values: Iterable[str]) -> list[str]:
    """Comma lists and repeated parameters alike; blanks dropped, duplicates kept once."""
    names: dict[str, None] = {}
    for value in values:
        for name in value.split(","):
            if name.strip():
                names[name.strip()] = None
    return list(names)


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)
