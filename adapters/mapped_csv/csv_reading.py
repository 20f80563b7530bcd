"""Reads vendor CSV exports whatever Windows tool wrote them, one row at a time.

Encoding is decided by a rule district IT can follow, not by guessing: a byte-order mark wins
(UTF-8 BOM, or FF FE for Excel's UTF-16 "Unicode Text"); otherwise a file that decodes as UTF-8
from end to end is UTF-8; otherwise it is Windows-1252, the code page of US SIS exports. The
delimiter is the most frequent of comma, tab, semicolon and pipe in the header line. Rows are
streamed with the physical line number on which each starts, so big files never sit in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 18
DELIMITERS = (",", "\t", ";", "|")
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16LE (Excel Unicode Text)"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16BE"),
)


class UnreadableFile(Exception):
    """The file cannot be read as text; the message says why."""


@dataclass(frozen=True, slots=True)
class CsvFile:
    path: Path
    codec: str
    encoding_label: str
    delimiter: str
    header: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        return f"read as {self.encoding_label}, {DELIMITER_NAMES[self.delimiter]}-separated"


def detect_encoding(path: Path) -> tuple[str, str]:
    """(Python codec, label for the report) by the rule in the module docstring."""
    with path.open("rb") as handle:
        start = handle.read(4)
    for bom, codec, label in _BOMS:
        if start.startswith(bom):
            return codec, label
    if _decodes_fully(path, "utf-8"):
        return "utf-8", "UTF-8"
    if _decodes_fully(path, "cp1252"):
        return "cp1252", "cp1252 (Windows-1252)"
    raise UnreadableFile("not UTF-8, UTF-16 with a byte-order mark, or Windows-1252 text")


def _decodes_fully(path: Path, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_delimiter(header_line: str) -> str:
    """The candidate that occurs most often outside quotes; comma when none does."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_text(path: Path, codec: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(path.open("rb"), encoding=codec, newline="")


def open_csv(path: Path) -> CsvFile:
    """Detect encoding and delimiter and read the header (names stripped of blanks)."""
    codec, label = detect_encoding(path)
    with _open_text(path, codec) as text:
        first_line = text.readline()
    if not first_line.strip():
        raise UnreadableFile("the file is empty or its first line (the header) is blank")
    delimiter = detect_delimiter(first_line)
    header_row = next(csv.reader([first_line], delimiter=delimiter))
    header = [name.strip().lstrip("\ufeff") for name in header_row]
    while header and not header[-1]:
        header.pop()  # Excel writes trailing delimiters after the last named column
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise UnreadableFile(f"the header names column {name!r} twice")
        seen.add(name)
    return CsvFile(path, codec, label, delimiter, tuple(header))


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]
    problem: str | None = None  # a row the reader could not line up with the header


def iter_rows(csv_file: CsvFile) -> Iterator[Row]:
    """Data rows after the header; blank lines are skipped, short rows padded with blanks."""
    width = len(csv_file.header)
    with _open_text(csv_file.path, csv_file.codec) as text:
        reader = csv.reader(text, delimiter=csv_file.delimiter, strict=False)
        next(reader, None)
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a cell beyond the csv module's size limit
                raise UnreadableFile(f"line {line}: {exc}") from None
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            extra = [c for c in cells[width:] if c.strip()]
            cells = [c.strip() for c in cells[:width]] + [""] * (width - len(cells))
            values = dict(zip(csv_file.header, cells, strict=True))
            problem = None
            if extra:
                problem = f"row has {width + len(extra)} or more values but the header {width}"
            yield Row(start, values, problem)
