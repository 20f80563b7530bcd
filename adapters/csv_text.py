"""Streaming CSV text for untrusted exports: UTF-8 decoding, line numbers and size caps.

Shared by the CSV adapters. A district fixes a file by opening it at a line, so every row keeps
the physical line it starts on (the header is line 1) even when a quoted cell spans lines or a
line cannot be decoded. Nothing is accumulated per row: lines are read one at a time, each capped,
so a 200 MB file costs the memory of its longest row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = {";": "semicolon (;)", "|": "pipe (|)", "\t": "tab"}


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    reason: str
    value: str | None = None


class TextLines:
    """The physical lines of a byte stream, decoded as strict UTF-8 and numbered.

    A line that is not UTF-8 or longer than `max_line_bytes` is not raised: it is recorded in
    `problems` (with its line and byte offset) and handed on as an empty line, so the CSV
    reader keeps going and the row that contained it can be rejected on its own.
    """

    def __init__(self, stream: BinaryIO, *, max_line_bytes: int) -> None:
        self._stream = stream
        self._max = max_line_bytes
        self.line = 0
        self.offset = 0
        self.had_bom = False
        self.ends_with_newline = True
        self.problems: list[LineProblem] = []

    def __iter__(self) -> TextLines:
        return self

    def __next__(self) -> str:
        raw = self._stream.readline(self._max + 1)
        if not raw:
            raise StopIteration
        self.line += 1
        start = self.offset
        self.offset += len(raw)
        self.ends_with_newline = raw.endswith(b"\n")
        if self.line == 1:
            raw, start = self._strip_bom(raw, start)
        if len(raw) > self._max and not raw.endswith(b"\n"):
            self._skip_rest_of_line()
            self.problems.append(LineProblem(
                self.line, f"line is longer than the limit of {self._max} bytes"))
            return "\n"
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append(self._not_utf8(raw, start, exc))
            return "\n"

    def close(self) -> None:
        self._stream.close()

    def _strip_bom(self, raw: bytes, start: int) -> tuple[bytes, int]:
        if raw.startswith(UTF8_BOM):
            self.had_bom = True
            return raw[len(UTF8_BOM):], start + len(UTF8_BOM)
        return raw, start

    def _skip_rest_of_line(self) -> None:
        while True:
            more = self._stream.readline(self._max)
            self.offset += len(more)
            if not more or more.endswith(b"\n"):
                self.ends_with_newline = more.endswith(b"\n")
                return

    def _not_utf8(self, raw: bytes, start: int, exc: UnicodeDecodeError) -> LineProblem:
        bad = raw[exc.start:exc.start + 4]
        if self.line == 1 and raw.startswith(_UTF16_BOMS):
            hint = "; it looks like UTF-16 (Excel 'Unicode Text'): save it as 'CSV UTF-8'"
        else:
            hint = ""
        return LineProblem(
            self.line,
            f"bytes that are not UTF-8 at byte offset {start + exc.start} (line {self.line}); "
            f"the file must be UTF-8{hint}",
            bad.hex(" "),
        )


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One parsed row and the line it starts on; `problem` says why it cannot be used."""

    line: int
    cells: list[str]
    problem: str | None = None
    value: str | None = None
    cell: int | None = None  # 0-based index of the cell the problem is about, when one is


class CsvRows:
    """RFC 4180 rows over `TextLines`, with cell sizes capped and problems attached to rows."""

    def __init__(self, lines: TextLines, *, max_cell_bytes: int, strict: bool = False) -> None:
        self.lines = lines
        self._max_cell = max_cell_bytes
        _allow_fields_up_to(max_cell_bytes + 1)
        self._reader = csv.reader(lines, strict=strict)

    def __iter__(self) -> Iterator[CsvRow]:
        while True:
            first_line = self.lines.line + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield self._bad(first_line, [], self._csv_reason(exc))
                continue
            if self.lines.problems:
                problem = self.lines.problems[0]
                self.lines.problems.clear()
                yield CsvRow(first_line, [], problem.reason, problem.value)
                continue
            yield self._sized(first_line, cells)

    def _sized(self, line: int, cells: list[str]) -> CsvRow:
        if sum(map(len, cells)) * 4 <= self._max_cell:  # UTF-8 takes at most 4 bytes a char
            return CsvRow(line, cells)
        for index, cell in enumerate(cells, start=1):
            if len(cell) * 4 > self._max_cell and len(cell.encode()) > self._max_cell:
                return self._bad(line, cells, (
                    f"cell {index} is {len(cell.encode())} bytes, over the limit of "
                    f"{self._max_cell} bytes"), cell=index - 1)
        return CsvRow(line, cells)

    def _bad(self, line: int, cells: list[str], reason: str, cell: int | None = None) -> CsvRow:
        self.lines.problems.clear()
        return CsvRow(line, cells, reason, cell=cell)

    def _csv_reason(self, exc: csv.Error) -> str:
        if "field larger than field limit" in str(exc):
            return f"a cell is over the limit of {self._max_cell} bytes"
        return f"not valid CSV: {exc}"


def delimiter_hint(header: list[str]) -> str | None:
    """Which other delimiter a one-column header seems to use, if any."""
    if len(header) != 1:
        return None
    for char, name in _DELIMITERS.items():
        if char in header[0]:
            return name
    return None


def closest_name(name: str, candidates: Iterable[str], max_distance: int) -> str | None:
    """The one candidate within `max_distance` edits of `name` (ignoring case), or None when
    there is none or the nearest is shared by two: a guess must never be ambiguous."""
    wanted = name.lower()
    scored = sorted((_distance(wanted, c.lower()), c) for c in candidates)
    if not scored or scored[0][0] > max_distance:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, one row at a time."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (char_a != char_b),
            ))
        previous = current
    return previous[-1]


def _allow_fields_up_to(size: int) -> None:
    """The csv module caps fields with a process-wide limit (128 KiB by default) and raises
    past it; raise it to our own cap, never lower it, and enforce our cap per cell."""
    if csv.field_size_limit() < size:
        csv.field_size_limit(size)
