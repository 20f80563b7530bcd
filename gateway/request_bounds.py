"""Bounds on what a request may make the gateway parse: body size, JSON nesting, integers.

Issue 11 found 500s from parameters a client chooses: a 200k-deep JSON body exhausts the
parser's recursion, a 5,000-digit `limit` exceeds Python's integer-conversion limit, an offset
of 2^63 overflows the database's integer. Each is refused here, before any parser or query
sees it, as a werkzeug HTTP error (400, or 413 for size) that gateway.api_errors renders in the
format of the API the path belongs to (OneRoster imsx status, Ed-Fi problem details).

This module imports nothing of the gateway, so any layer (the APIs, the OAuth wrapper) may use it.
"""

from __future__ import annotations

import re

from flask import Flask, Request, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

MAX_BODY_BYTES = 4 * 1024 * 1024  # a page of 1,000 OneRoster results is well under 1 MiB
MAX_JSON_DEPTH = 32  # the deepest standard body (Ed-Fi assessments) nests under 8 levels
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

_DIGITS = re.compile(r"[0-9]+")
# A JSON string (escapes included), written as an unrolled loop so it scans in linear time.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACES_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")
_API_PREFIXES = ("/ims/oneroster/", "/data/v3/")


class NulCharacter(BadRequest):
    """A NUL in the path or a query parameter: PostgreSQL text cannot hold one (the query would
    fail with a DataError, a 500), and no identifier, filter or paging value has one."""

    description = "a NUL character (%00) is not allowed in the path or in a query parameter"


class TooDeep(BadRequest):
    """A JSON body nested deeper than MAX_JSON_DEPTH (answered 400 in the API's format)."""

    description = f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels"


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `raw` nests arrays and objects deeper than `limit` (or leaves brackets open).

    Checked without parsing and without recursion: strings are cut out, everything but the
    brackets dropped (braces counted as brackets), then the innermost empty pairs removed
    `limit` times (bytes.replace works on the text as it was, so one pass removes exactly one
    level); anything left is nested deeper than `limit`. Every step is a C-speed pass: no
    RecursionError, and milliseconds for ordinary bodies.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(_BRACES_AS_BRACKETS, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        shorter = brackets.replace(b"[]", b"")
        if shorter == brackets:
            # unbalanced: malformed anyway; refused here when a parser could recurse far into it
            return len(brackets) > limit
        brackets = shorter
    return bool(brackets)


def bounded_int(text: str, low: int, high: int) -> int | None:
    """`text` as a plain decimal integer (digits only) within [low, high], else None.

    Digits beyond what `high` can have are refused before int() is called, so no length of
    input reaches Python's 4,300-digit conversion limit."""
    stripped = text.strip()
    if _DIGITS.fullmatch(stripped) is None:
        return None
    significant = stripped.lstrip("0") or "0"
    if len(significant) > len(str(high)):
        return None
    value = int(significant)
    return value if low <= value <= high else None


def _check_request() -> None:
    """Before any view under the APIs: refuse a NUL in the path or the query; read (and so
    size-check) a JSON body and refuse it when nested too deep. The body stays cached for the
    view's own get_json()."""
    req: Request = request
    if not req.path.startswith(_API_PREFIXES):
        return
    if "\x00" in req.path or b"%00" in req.query_string or any(
            "\x00" in name or "\x00" in value for name, value in req.args.items(multi=True)):
        raise NulCharacter()
    if req.method in ("GET", "HEAD", "OPTIONS"):
        return
    if req.content_length is not None and req.content_length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    if req.is_json and json_too_deep(req.get_data(cache=True)):
        raise TooDeep()


def init_request_bounds(app: Flask) -> None:
    """Cap every request body at MAX_BODY_BYTES (Werkzeug raises 413 while reading past it),
    refuse NULs in paths and parameters, and bound JSON nesting before a view parses a body."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.before_request(_check_request)
