"""Turning one CSV cell into the value shape `Record.fields` expects.

The binding packs lists into one quoted cell (`"a,b"`) and pairs into braces (`"{LDAP:x},{LTI:y}"`);
the canonical model wants Python lists and dicts. Booleans and vocabulary terms are where producers
disagree on case, so this is also where strict mode refuses and lenient mode normalises.
"""

from __future__ import annotations

import re
from typing import Any

from adapters.oneroster_csv.layouts import Column

_PAIR = re.compile(r"\{([^{}:]*):([^{}]*)\}")
_PAIRS = re.compile(r"\{[^{}]*\}(?:\s*,\s*\{[^{}]*\})*")
_PAIR_KEYS = {
    "userIds": ("type", "identifier"),
    "scoreScaleValue": ("itemValueLHS", "itemValueRHS"),
}
_BOOLEANS = ("true", "false")


class BadValue(ValueError):
    """The cell cannot be read; the message is the reason shown to the district."""


def shape(column: Column, raw: str, *, strict: bool) -> tuple[Any, str | None]:
    """The canonical value of a non-blank cell, and a note when lenient mode normalised it."""
    kind = column.kind
    if kind == "string":
        return raw, None
    if kind == "bool":
        return _boolean(raw, strict)
    if kind == "enum" and column.vocab:
        return _term(raw, column.vocab, strict)
    if kind == "enums" and column.vocab:
        shaped = [_term(item, column.vocab, strict) for item in _items(raw)]
        notes = [note for _, note in shaped if note]
        return [value for value, _ in shaped], (notes[0] if notes else None)
    if kind in ("refs", "strings", "enums"):
        return _items(raw), None
    if kind == "pairs":
        return _pairs(raw, _PAIR_KEYS.get(column.name, ("type", "identifier"))), None
    return raw, None


def _items(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _boolean(raw: str, strict: bool) -> tuple[str, str | None]:
    if raw in _BOOLEANS:
        return raw, None
    if strict:
        raise BadValue("booleans must be lower-case 'true' or 'false'")
    lowered = raw.strip().lower()
    if lowered in _BOOLEANS:
        return lowered, "booleans not in lower case (e.g. 'TRUE') were read as lower case"
    return raw, None


def _term(raw: str, vocab: frozenset[str], strict: bool) -> tuple[str, str | None]:
    if raw in vocab or raw.startswith("ext:"):
        return raw, None
    matches = [term for term in vocab if term.lower() == raw.strip().lower()]
    if len(matches) != 1:
        return raw, None  # not a term in any case: the sync engine reports it
    if strict:
        raise BadValue(f"terms are case-sensitive: expected {matches[0]!r}")
    return matches[0], "vocabulary terms in the wrong case (e.g. 'Student') were corrected"


def _pairs(raw: str, keys: tuple[str, str]) -> list[dict[str, str]]:
    if not _PAIRS.fullmatch(raw.strip()):
        raise BadValue("expected a list of {type:value} items, e.g. \"{LDAP:123},{LTI:abc}\"")
    pairs = []
    for match in re.finditer(r"\{([^{}]*)\}", raw):
        pair = _PAIR.fullmatch(match.group(0))
        if pair is None:
            raise BadValue(f"item {match.group(0)!r} has no ':' between its two parts")
        pairs.append({keys[0]: pair.group(1).strip(), keys[1]: pair.group(2).strip()})
    return pairs
