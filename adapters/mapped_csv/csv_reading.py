"""Reads vendor CSV exports whatever Windows tool wrote them, one row at a time.

Encoding is decided by a rule district IT can follow, not by guessing: a byte-order mark wins
(UTF-8 BOM, or FF FE for Excel's UTF-16 "Unicode Text"); otherwise a file that decodes as UTF-8
from end to end is UTF-8; otherwise, if no line of it is UTF-8 with accents, it is Windows-1252,
the code page of US SIS exports. A file that mixes the two (some lines re-saved by another tool)
is refused at the first line that breaks the rule, rather than read into mojibake. The
delimiter is the most frequent of comma, tab, semicolon and pipe in the header line. Rows are
streamed with the physical line number on which each starts, so big files never sit in memory.
Every open goes through `adapters.safe_folder.open_file`, so a file swapped for a link after the
adapter listed the folder is refused, not followed.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from adapters.safe_folder import open_file

CHUNK = 1 << 18
# The largest cell a vendor export may have. Checked here, not left to the csv module's limit,
# which is process-wide and which other readers may have raised.
MAX_CELL_CHARS = 131_072
DELIMITERS = (",", "\t", ";", "|")
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16LE (Excel Unicode Text)"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16BE"),
)


class UnreadableFile(Exception):
    """The file cannot be read as text; the message says why, `line` where."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class CsvFile:
    path: Path
    codec: str
    encoding_label: str
    delimiter: str
    header: tuple[str, ...]
    follow_symlinks: bool = False

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        return f"read as {self.encoding_label}, {DELIMITER_NAMES[self.delimiter]}-separated"


def _open(path: Path, follow_symlinks: bool) -> BinaryIO:
    return open_file(path.parent, path.name, follow_symlinks=follow_symlinks)


def detect_encoding(path: Path, *, follow_symlinks: bool = False) -> tuple[str, str]:
    """(Python codec, label for the report) by the rule in the module docstring."""
    with _open(path, follow_symlinks) as handle:
        start = handle.read(4)
    for bom, codec, label in _BOMS:
        if start.startswith(bom):
            if codec == "utf-8-sig":
                _check_lines(path, follow_symlinks, bom=True)
            return codec, label
    if _check_lines(path, follow_symlinks, bom=False):
        return "utf-8", "UTF-8"
    return "cp1252", "cp1252 (Windows-1252)"


def _check_lines(path: Path, follow_symlinks: bool, *, bom: bool) -> bool:
    """True when every line is UTF-8. False when the file is Windows-1252 throughout (no
    line is UTF-8 beyond ASCII). UnreadableFile, naming the line, when it mixes the two or
    promises UTF-8 with a BOM and breaks it."""
    first_bad: int | None = None
    utf8_seen = False
    with _open(path, follow_symlinks) as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                if bom:
                    raise UnreadableFile(
                        f"line {number} is not UTF-8, though the file starts with a UTF-8 "
                        "byte-order mark; re-save the whole file as UTF-8", number) from None
                first_bad = first_bad or number
                if utf8_seen:
                    break
                continue
            utf8_seen = True
            if first_bad is not None:
                break
    if first_bad is None:
        return True
    if utf8_seen:
        raise UnreadableFile(
            f"line {first_bad} is not UTF-8 while other lines are: the file mixes encodings "
            "(e.g. some rows re-saved as Windows-1252); re-save it as UTF-8", first_bad)
    if not _decodes_fully(path, "cp1252", follow_symlinks):
        raise UnreadableFile("not UTF-8, UTF-16 with a byte-order mark, or Windows-1252 text",
                             first_bad)
    return False


def _decodes_fully(path: Path, codec: str, follow_symlinks: bool) -> bool:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    with _open(path, follow_symlinks) as handle:
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


def _open_text(path: Path, codec: str, follow_symlinks: bool) -> io.TextIOWrapper:
    return io.TextIOWrapper(_open(path, follow_symlinks), encoding=codec, newline="")


def open_csv(path: Path, *, follow_symlinks: bool = False) -> CsvFile:
    """Detect encoding and delimiter and read the header (names stripped of blanks)."""
    codec, label = detect_encoding(path, follow_symlinks=follow_symlinks)
    with _open_text(path, codec, follow_symlinks) as text:
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
    return CsvFile(path, codec, label, delimiter, tuple(header), follow_symlinks)


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]
    problem: str | None = None  # a row the reader could not line up with the header


def iter_rows(csv_file: CsvFile) -> Iterator[Row]:
    """Data rows after the header; blank lines are skipped, short rows padded with blanks."""
    width = len(csv_file.header)
    with _open_text(csv_file.path, csv_file.codec, csv_file.follow_symlinks) as text:
        reader = csv.reader(text, delimiter=csv_file.delimiter, strict=False)
        next(reader, None)
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a cell beyond the csv module's size limit
                raise UnreadableFile(f"line {line}: {exc}", line) from None
            start, line = line, reader.line_num + 1
            if any(len(cell) > MAX_CELL_CHARS for cell in cells):
                raise UnreadableFile(f"line {start}: field larger than field limit "
                                     f"({MAX_CELL_CHARS} characters)", start)
            if not any(cell.strip() for cell in cells):
                continue
            extra = [c for c in cells[width:] if c.strip()]
            problem = None
            if extra:
                problem = f"row has {width + len(extra)} or more values but the header {width}"
            elif len(cells) < width:
                problem = _other_delimiter(cells, width, csv_file.delimiter)
            cells = [c.strip() for c in cells[:width]] + [""] * (width - len(cells))
            yield Row(start, dict(zip(csv_file.header, cells, strict=True)), problem)


def _other_delimiter(cells: list[str], width: int, delimiter: str) -> str | None:
    """A short row is padded with blanks (some tools drop trailing empty cells), unless its
    cells hold another delimiter: a row written with, say, semicolons would otherwise lose
    every column but the first without a word."""
    others = [d for d in DELIMITERS if d != delimiter and any(d in c for c in cells)]
    if not others:
        return None
    return (f"row has {len(cells)} values but the header has {width}; it looks "
            f"{DELIMITER_NAMES[others[0]]}-separated while the header is "
            f"{DELIMITER_NAMES[delimiter]}-separated")
