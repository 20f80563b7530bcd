"""Turn a parsed filter into one parameterised SQLAlchemy boolean expression.

The result is always a single parenthesised group, so a view can AND it with the policy predicate
and an OR typed by a client can never widen what its app may see (the Ed-Fi OR-escape bug).
Values only ever travel as bound parameters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Float, Integer, Numeric, String, cast, exists, or_
from sqlalchemy.sql.elements import ColumnElement

from gateway.policy.conditions import Comparison, Logical, Node
from gateway.policy.query_errors import INVALID_FILTER_FIELD, QueryError

KINDS = ("string", "date", "datetime", "bool", "number", "list")
ListPredicate = Callable[[str, str], ColumnElement[bool]]


class InvalidFilterValue(ValueError):
    """A value that makes no sense for its field's kind; the reason ends up in the 400 message.

    A resolver's own list predicate may raise it too.
    """


@dataclass(frozen=True)
class FilterField:
    """How one filterable field maps to SQL, as the view's resolver describes it.

    `expr` yields the field's value (text for strings and booleans 'true'/'false'; a DateTime,
    Date or numeric column is compared natively). A "list" field has no single value: its
    `list_predicate(op, value)` builds the condition, typically an EXISTS on a link table.
    """

    expr: ColumnElement[Any] | None
    kind: str = "string"
    list_predicate: ListPredicate | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown filter field kind {self.kind!r}; expected one of {KINDS}")
        if self.kind == "list" and self.list_predicate is None:
            raise ValueError("a 'list' filter field needs a list_predicate")
        if self.kind != "list" and self.expr is None:
            raise ValueError(f"a {self.kind!r} filter field needs an expr")


Resolver = Callable[[str], FilterField | None]


def compile_filter(node: Node, resolve: Resolver) -> ColumnElement[bool]:
    """Compile the whole tree, then wrap it in one group for the caller to AND with policy."""
    return _compile(node, resolve).self_group()


def list_field(
    link_condition: ColumnElement[bool],
    element: ColumnElement[Any],
    *,
    element_kind: str = "string",
) -> FilterField:
    """A set-valued field read through a link table correlated by `link_condition`.

    `!=` holds when no element equals the value (so a row with no elements matches); every
    other operator holds when at least one element satisfies it.
    """
    if element_kind == "list":
        raise ValueError("a list's elements cannot themselves be a list")

    def predicate(op: str, value: str) -> ColumnElement[bool]:
        if op == "!=":
            return ~exists().where(link_condition, compare(element, element_kind, "=", value))
        return exists().where(link_condition, compare(element, element_kind, op, value))

    return FilterField(expr=None, kind="list", list_predicate=predicate)


def compare(expr: ColumnElement[Any], kind: str, op: str, value: str) -> ColumnElement[bool]:
    """One comparison with the semantics of `kind`; InvalidFilterValue when the value won't do."""
    if op == "~":
        if kind != "string":
            raise InvalidFilterValue(f"'~' (contains) applies to text fields, not to a {kind}")
        return _contains(expr, value)
    if kind == "bool":
        return _compare_bool(expr, op, value)
    if kind not in _COERCE:
        raise ValueError(f"cannot compare a single value of kind {kind!r}")
    bound = _COERCE[kind](expr, value)
    if kind == "number" and not isinstance(expr.type, Integer | Numeric | Float):
        expr = cast(expr, Float)
    return _OPERATORS[op](expr, bound)


def _compile(node: Node, resolve: Resolver) -> ColumnElement[bool]:
    if isinstance(node, Logical):
        left, right = _compile(node.left, resolve), _compile(node.right, resolve)
        return (left & right) if node.op == "AND" else (left | right)
    return _compile_comparison(node, resolve)


def _compile_comparison(node: Comparison, resolve: Resolver) -> ColumnElement[bool]:
    target = resolve(node.field)
    if target is None:
        raise QueryError(
            INVALID_FILTER_FIELD,
            f"filter: unknown field '{node.field}'",
            parameter="filter",
            field=node.field,
        )
    try:
        if target.list_predicate is not None:
            return target.list_predicate(node.op, node.value)
        assert target.expr is not None  # guaranteed by FilterField.__post_init__
        return compare(target.expr, target.kind, node.op, node.value)
    except InvalidFilterValue as why:
        raise QueryError(
            INVALID_FILTER_FIELD,
            f"filter: {node.field}{node.op}'{node.value}': {why}",
            parameter="filter",
            field=node.field,
        ) from None


def _not_equal(expr: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    """A row without the field does not have the value, so it matches `!=` (SQL would drop it)."""
    return or_(expr.is_(None), expr != value)


_OPERATORS: dict[str, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]] = {
    "=": lambda expr, value: expr == value,
    "!=": _not_equal,
    ">": lambda expr, value: expr > value,
    ">=": lambda expr, value: expr >= value,
    "<": lambda expr, value: expr < value,
    "<=": lambda expr, value: expr <= value,
}


def _contains(expr: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """Case-insensitive substring; the value's own % and _ are matched literally."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    text = expr if isinstance(expr.type, String) else cast(expr, String)
    return text.ilike(f"%{escaped}%", escape="\\")


def _compare_bool(expr: ColumnElement[Any], op: str, value: str) -> ColumnElement[bool]:
    if op not in ("=", "!="):
        raise InvalidFilterValue(f"only = and != apply to a true/false field, not {op}")
    normalized = value.strip().lower()
    if normalized not in ("true", "false"):
        raise InvalidFilterValue("expected 'true' or 'false'")
    return _OPERATORS[op](expr, normalized)


def _as_text(expr: ColumnElement[Any], value: str) -> str:
    return value


def _as_number(expr: ColumnElement[Any], value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InvalidFilterValue("not a number") from None
    if not math.isfinite(number):
        raise InvalidFilterValue("not a finite number")
    return number


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    re.IGNORECASE,
)


def _as_date(expr: ColumnElement[Any], value: str) -> date | str:
    stripped = value.strip()
    if _DATE.fullmatch(stripped) is None:
        raise InvalidFilterValue("not a date in the form YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(stripped)
    except ValueError:
        raise InvalidFilterValue("not a calendar date") from None
    return parsed if isinstance(expr.type, Date) else stripped


def _as_datetime(expr: ColumnElement[Any], value: str) -> datetime | str:
    """An instant in UTC: native for DateTime columns, else text in the gateway's one stored form.

    Text only orders like time when every value has the same shape, so the bound value takes
    the form the sync engine stores and the serializer writes: milliseconds and a Z.
    """
    instant = _parse_instant(value.strip())
    if isinstance(expr.type, DateTime):
        return instant if expr.type.timezone else instant.replace(tzinfo=None)
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_instant(text: str) -> datetime:
    if _DATETIME.fullmatch(text) is None:
        raise InvalidFilterValue(
            "not an ISO 8601 date-time such as 2024-01-31T00:00:00Z (or a date 2024-01-31)"
        )
    normalized = re.sub(r"[zZ]$", "+00:00", text)
    normalized = re.sub(r"(\.\d{6})\d+", r"\1", normalized)  # Python keeps microseconds only
    try:
        parsed = datetime.fromisoformat(normalized)
    except ValueError:
        raise InvalidFilterValue("not a real calendar date or time") from None
    if parsed.tzinfo is None:  # the gateway's timestamps are UTC; so is a value without offset
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is past year 9999 in UTC
        raise InvalidFilterValue("outside the years 0001 to 9999 once moved to UTC") from None


_COERCE: dict[str, Callable[[ColumnElement[Any], str], Any]] = {
    "string": _as_text,
    "number": _as_number,
    "date": _as_date,
    "datetime": _as_datetime,
}
