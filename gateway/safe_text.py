"""Text from district data, made safe for the two places the gateway hands it to a person.

Source files are untrusted: a role of `=HYPERLINK(...)` or a file named `notes\\nrun 99 ...`
is data, and must stay data when district IT opens a report in a spreadsheet or reads the
`gateway` command's output in a terminal.

- `csv_cell` neutralises spreadsheet formulas (OWASP's CSV-injection recipe): a text cell that
  starts with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`. That includes
  negative numbers written as text (`-3` becomes `'-3`): a spreadsheet still shows -3, and
  telling a number from a formula such as `-3+cmd|...` is exactly the guess this refuses to
  make. Real numbers (line numbers) are not text and are left as they are.
- `terminal` renders control characters visibly (`\\n`, `\\x1b`, `\\u2028`) so that a value can
  neither start a forged line nor send terminal escape sequences nor reorder what is shown
  (bidi overrides). Backslashes are left alone: text already escaped (a `repr`) reads the same,
  and the point is that the output cannot lie, not that it can be parsed back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 controls, DEL and C1 controls; line and paragraph separators; bidi embeddings, overrides,
# isolates and marks (U+061C, U+200E/F, U+202A-202E, U+2066-2069).
_ESCAPED = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029,
            *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


def _escape(code: int) -> str:
    char = chr(code)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_TERMINAL = str.maketrans({code: _escape(code) for code in _ESCAPED})


def terminal(value: object) -> str:
    """`value` as text fit for one line of terminal output: controls shown as escapes."""
    return str(value).translate(_TERMINAL)


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will show as text, never evaluate; non-text values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(row: Mapping[str, Any], *, for_terminal: bool = False) -> dict[str, Any]:
    """Every cell of `row` neutralised; `for_terminal` also escapes controls (CSV printed to
    stdout), before neutralising so that the cell's final first character is the one checked."""
    return {key: csv_cell(terminal(value) if for_terminal and isinstance(value, str) else value)
            for key, value in row.items()}


def csv_rows(rows: Iterable[Mapping[str, Any]], *, for_terminal: bool = False
             ) -> Iterable[dict[str, Any]]:
    return (csv_row(row, for_terminal=for_terminal) for row in rows)
