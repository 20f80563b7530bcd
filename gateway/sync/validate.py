"""Fast per-row checks and coercion into canonical values.

Built once per family from `adapters.canonical` into a list of small closures, so a row costs a
dictionary walk and a handful of string tests, not a schema library call: the sync engine must
keep up with a million enrollments.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from adapters.canonical import Family, Field

MAX_ID_LENGTH = 255
_EXT = re.compile(r"^ext:[A-Za-z0-9.\-_]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR = re.compile(r"^\d{4}$")
# NUL breaks PostgreSQL jsonb (UntranslatableCharacter on every later JSON filter); the other C0
# controls except tab, newline and CR have no place in roster text and would differ by backend.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_character(value: str) -> str | None:
    """Why `value` is refused for a control character, or None; shared with the API boundaries
    so they can name the field in their own terms before the sync engine sees it."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    return f"contains a control character (U+{ord(found.group()):04X} at {found.start()})"


def _no_controls(value: str) -> str:
    """Refuse control characters at the boundary, so one bad row cannot break reads for all."""
    reason = control_character(value)
    if reason:
        raise Invalid(reason)
    return value


class Invalid(ValueError):
    """A value that cannot be coerced; the message is the reason shown to district IT."""


Coerce = Callable[[Any], Any]


def _string(f: Field) -> Coerce:
    limit = f.max_length

    def coerce(value: Any) -> Any:
        if not isinstance(value, str):
            value = str(value)
        if len(value) > limit:
            raise Invalid(f"longer than {limit} characters ({len(value)})")
        return _no_controls(value)

    return coerce


def _date(value: Any) -> str:
    value = str(value)
    if not _DATE.match(value):
        raise Invalid("not a date of the form YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise Invalid("not a calendar date") from None
    return value


def _datetime(value: Any) -> str:
    text = str(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS.sssZ)") from None
    if moment.tzinfo is None:
        if "T" in text:
            raise Invalid("date-time without a time zone; OneRoster requires UTC (Z)")
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _year(value: Any) -> str:
    value = str(value)
    if not _YEAR.match(value):
        raise Invalid("not a year of the form YYYY")
    return value


def _bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise Invalid("not a boolean (true or false)")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise Invalid("not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid("not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise Invalid("not a finite number")
    return number


def _enum(f: Field) -> Coerce:
    vocab = f.vocab or frozenset()
    extensible = f.extensible
    allowed = ", ".join(sorted(vocab))

    def coerce(value: Any) -> Any:
        if value in vocab or (extensible and isinstance(value, str) and _EXT.match(value)):
            return value
        extra = " or ext:<term>" if extensible else ""
        raise Invalid(f"not in the vocabulary ({allowed}{extra})")

    return coerce


def _ref(value: Any) -> str:
    if not isinstance(value, str):
        value = str(value)
    if not value:
        raise Invalid("empty reference")
    if len(value) > MAX_ID_LENGTH:
        raise Invalid(f"sourcedId longer than {MAX_ID_LENGTH} characters")
    return _no_controls(value)


def _list_of(item: Coerce) -> Coerce:
    def coerce(value: Any) -> list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise Invalid("not a list")
        return [item(v) for v in value if v not in ("", None)]

    return coerce


def _pairs(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, dict) for v in value):
        raise Invalid("not a list of {key: value} pairs")
    return [{_no_controls(str(k)): _no_controls(str(v)) for k, v in pair.items()} for pair in value]


def coercer(f: Field) -> Coerce:
    match f.kind:
        case "string":
            return _string(f)
        case "date":
            return _date
        case "datetime":
            return _datetime
        case "year":
            return _year
        case "bool":
            return _bool
        case "number":
            return _number
        case "enum":
            return _enum(f)
        case "enums":
            return _list_of(_enum(f))
        case "strings":
            return _list_of(_string(f))
        case "ref":
            return _ref
        case "refs":
            return _list_of(_ref)
        case "pairs":
            return _pairs
    raise AssertionError(f"unknown kind {f.kind}")


class FamilyValidator:
    """Coerces one family's records; unknown fields are reported once, then ignored."""

    def __init__(self, family: Family) -> None:
        self.family = family
        self.steps = [(f.name, f.required, coercer(f)) for f in family.fields]
        self.known = frozenset(f.name for f in family.fields)

    def clean(self, fields: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any, str]]]:
        """Canonical values in declaration order, and the problems found."""
        clean: dict[str, Any] = {}
        problems: list[tuple[str, Any, str]] = []
        for name, required, coerce in self.steps:
            value = fields.get(name)
            if value is None or value == "" or value == []:
                if required:
                    problems.append((name, "", "required field is missing"))
                continue
            try:
                value = coerce(value)
            except Invalid as exc:
                problems.append((name, value, str(exc)))
                continue
            if value == [] and required:
                problems.append((name, "", "required field is missing"))
                continue
            clean[name] = value
        return clean, problems

    def unknown_fields(self, fields: dict[str, Any]) -> list[str]:
        return [name for name in fields if name not in self.known]


def check_sourced_id(value: Any) -> str | None:
    """The reason a sourcedId is unusable, or None."""
    if not isinstance(value, str) or not value:
        return "sourcedId is missing"
    if len(value) > MAX_ID_LENGTH:
        return f"sourcedId longer than {MAX_ID_LENGTH} characters"
    if _CONTROL.search(value):
        return "sourcedId contains a control character"
    return None
