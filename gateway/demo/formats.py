"""The output formats the demo can write, by the name the CLI uses.

A format is a writer class: it receives the district once, then each feeder zone followed by
that zone's families, and reports the files it wrote. Adding a format (Ed-Fi XML is next)
means one new module with such a class and one line here; the generator does not change.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from gateway.demo.edfi_xml import EdfiXmlWriter
from gateway.demo.model import Category, District, Family, Zone
from gateway.demo.oneroster_csv import OneRosterCsvWriter
from gateway.demo.vendor_csv import VendorCsvWriter


class DemoWriter(Protocol):
    def begin(self, district: District, categories: tuple[Category, ...]) -> None:
        """Open the files; write what belongs to the whole district."""

    def add_zone(self, zone: Zone) -> None:
        """Write a zone's schools, calendar, courses, staff and classes (before its families)."""

    def add_family(self, family: Family) -> None:
        """Write one family's guardians and children, with the children's classes."""

    def close(self) -> list[Path]:
        """Flush and close every file; return their paths."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class WriterFactory(Protocol):
    def __call__(self, out_dir: Path, *, oneroster_version: str) -> DemoWriter: ...


FORMATS: dict[str, WriterFactory] = {
    "oneroster-csv": OneRosterCsvWriter,
    "vendor-csv": VendorCsvWriter,
    "edfi-xml": EdfiXmlWriter,
}


def writer_for(format: str) -> WriterFactory:
    """The writer registered under `format`; ValueError naming the known formats otherwise."""
    try:
        return FORMATS[format]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"unknown demo format {format!r}; expected one of: {known}") from None
