"""Parse the OneRoster `filter` parameter into a small tree, without touching SQL.

Grammar accepted (a superset of what certified clients send):

    filter   = clause *( logical clause )        ; at most MAX_CLAUSES clauses
    clause   = field [ws] operator [ws] "'" value "'"
    field    = name *( "." name )                ; dot paths such as school.sourcedId
    operator = "=" / "!=" / ">" / ">=" / "<" / "<=" / "~"
    logical  = "AND" / "OR"                      ; any letter case; AND binds tighter than OR

A quote inside a value is written twice ('O''Brien'). Some clients write \\' instead; that
reading is used only when the doubled-quote reading cannot end the clause cleanly, so every
value encoded by doubling parses back exactly.
"""

from __future__ import annotations

import re
from typing import NoReturn

from gateway.policy.conditions import Comparison, Logical, Node
from gateway.policy.query_errors import INVALID_FILTER_FIELD, QueryError

MAX_FILTER_LENGTH = 2000
MAX_CLAUSES = 20
OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")  # two-character operators first

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_LOGICAL = re.compile(r"(AND|OR)(?=\s|$)", re.IGNORECASE)
_SPACE = re.compile(r"\s*")
_TYPOGRAPHIC_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u00b4`"



def parse_filter(text: str) -> Node:
    """Parse one filter expression; raise QueryError naming the character where it went wrong."""
    if len(text) > MAX_FILTER_LENGTH:
        _fail(text, f"longer than {MAX_FILTER_LENGTH} characters ({len(text)})")
    if not text.strip():
        _fail(text, "the expression is empty")
    clauses, logicals = _Parser(text).clauses()
    return _with_precedence(clauses, logicals)


def _with_precedence(clauses: list[Comparison], logicals: list[str]) -> Node:
    """Fold the flat clause list: AND runs first (left to right), then OR across the runs."""
    runs: list[Node] = [clauses[0]]
    for logical, clause in zip(logicals, clauses[1:], strict=True):
        if logical == "AND":
            runs[-1] = Logical("AND", runs[-1], clause)
        else:
            runs.append(clause)
    tree = runs[0]
    for run in runs[1:]:
        tree = Logical("OR", tree, run)
    return tree


class _Parser:
    """A cursor over the filter text; every error names a 1-based character position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def clauses(self) -> tuple[list[Comparison], list[str]]:
        clauses = [self.clause()]
        logicals: list[str] = []
        while True:
            self.skip_space()
            if self.at_end():
                return clauses, logicals
            logicals.append(self.logical())
            if len(clauses) == MAX_CLAUSES:
                self.fail(f"more than {MAX_CLAUSES} clauses", self.pos)
            clauses.append(self.clause())

    def clause(self) -> Comparison:
        self.skip_space()
        field = self.field()
        self.skip_space()
        op = self.operator(field)
        self.skip_space()
        value = self.value(op)
        return Comparison(field, op, value)

    def field(self) -> str:
        match = _FIELD.match(self.text, self.pos)
        if match is None:
            if self.text.startswith("(", self.pos):
                self.fail("parentheses are not supported; AND binds tighter than OR", self.pos)
            self.fail(f"expected a field name, found {self.found()}", self.pos)
        self.pos = match.end()
        return match.group()

    def operator(self, field: str) -> str:
        for op in OPERATORS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                return op
        self.fail(
            f"expected an operator (= != > >= < <= ~) after '{field}', found {self.found()}",
            self.pos,
        )

    def value(self, op: str) -> str:
        start = self.pos
        if self.at_end() or self.text[start] != "'":
            self.fail(self.why_not_a_value(op), start)
        doubled = _scan_value(self.text, start + 1, backslash_escapes=False)
        if doubled is not None and self.ends_clause(doubled[1]):
            return self.take(doubled)
        escaped = _scan_value(self.text, start + 1, backslash_escapes=True)
        if escaped is not None and self.ends_clause(escaped[1]):
            return self.take(escaped)
        if doubled is None:
            self.fail("unterminated quoted value (a quote inside a value is written '')", start)
        self.pos = doubled[1]
        self.skip_space()
        self.fail(f"expected AND or OR after the value, found {self.found()}", self.pos)

    def why_not_a_value(self, op: str) -> str:
        if self.at_end():
            return f"expected a quoted value after '{op}', found the end of the filter"
        char = self.text[self.pos]
        if char in _TYPOGRAPHIC_QUOTES:
            return f"values must be in straight single quotes ('), found {char!r}"
        if char == '"':
            return "values must be in single quotes ('), not double quotes"
        return f"expected a quoted value after '{op}', found {self.found()}"

    def logical(self) -> str:
        match = _LOGICAL.match(self.text, self.pos)
        if match is None:
            self.fail(f"expected AND or OR, found {self.found()}", self.pos)
        self.pos = match.end()
        self.skip_space()
        if self.at_end():
            self.fail(f"expected a clause after {match.group().upper()}", self.pos)
        return match.group().upper()

    def ends_clause(self, pos: int) -> bool:
        """True when a value closing here leaves either nothing or AND/OR and more text."""
        pos = _SPACE.match(self.text, pos).end()
        return pos == len(self.text) or _LOGICAL.match(self.text, pos) is not None

    def take(self, scanned: tuple[str, int]) -> str:
        self.pos = scanned[1]
        return scanned[0]

    def skip_space(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def found(self) -> str:
        if self.at_end():
            return "the end of the filter"
        rest = self.text[self.pos : self.pos + 20]
        return repr(rest) + ("..." if self.pos + 20 < len(self.text) else "")

    def fail(self, reason: str, pos: int) -> NoReturn:
        _fail(self.text, f"{reason} at character {pos + 1}")


def _scan_value(text: str, pos: int, *, backslash_escapes: bool) -> tuple[str, int] | None:
    """Read a value whose opening quote precedes `pos`: (value, index after closing quote)."""
    out: list[str] = []
    end = len(text)
    while pos < end:
        char = text[pos]
        if char == "'":
            if text.startswith("''", pos):
                out.append("'")
                pos += 2
                continue
            return "".join(out), pos + 1
        if backslash_escapes and text.startswith("\\'", pos):
            out.append("'")
            pos += 2
            continue
        out.append(char)
        pos += 1
    return None


def _fail(text: str, reason: str) -> NoReturn:
    raise QueryError(INVALID_FILTER_FIELD, f"filter: {reason}", parameter="filter", field=text)
