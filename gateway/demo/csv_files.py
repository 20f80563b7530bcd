"""A folder of CSV files written side by side, one row at a time.

The demo streams every student's rows to several files at once, so all files of a format stay
open for the whole run; this keeps their handles, encodings and line endings in one place and
closes them all even when generation fails half-way.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from gateway.demo.closing import ClosedOnExit

RowWriter = Callable[[Iterable[Any]], Any]


class CsvFolder(ClosedOnExit):
    """Opens CSV files in one folder; `close()` returns the paths written, in opening order."""

    def __init__(self, folder: Path, *, line_ending: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._folder = folder
        self._line_ending = line_ending
        self._stack = ExitStack()
        self._paths: list[Path] = []

    def open(self, name: str, header: Sequence[str], *, encoding: str = "utf-8") -> RowWriter:
        """Create `name` with its header row; return the function that appends one row.

        Encoding errors are never replaced silently: a value the encoding cannot hold is a bug
        in the writer, which must fold it first.
        """
        path = self._folder / name
        handle = self._stack.enter_context(
            path.open("w", encoding=encoding, errors="strict", newline="")
        )
        writer = csv.writer(handle, lineterminator=self._line_ending)
        writer.writerow(header)
        self._paths.append(path)
        return writer.writerow

    def close(self) -> list[Path]:
        self._stack.close()
        return list(self._paths)

