"""Demo packages generated once per test session and read back with Python's csv module."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.demo import DemoSummary, write_demo

STUDENTS = 2000
SEED = 11


@dataclass
class Table:
    header: list[str]
    rows: list[dict[str, str]]


def read_table(path: Path, encoding: str = "utf-8") -> Table:
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return Table(list(reader.fieldnames or []), rows)


@pytest.fixture(scope="session")
def csv_table() -> Callable[..., Table]:
    """Reads a CSV file (header + rows as dicts) with Python's csv module."""
    return read_table


@dataclass
class Package:
    folder: Path
    summary: DemoSummary

    def table(self, name: str, encoding: str = "utf-8") -> Table:
        return read_table(self.folder / name, encoding)


@pytest.fixture(scope="session")
def oneroster12(tmp_path_factory: pytest.TempPathFactory) -> Package:
    folder = tmp_path_factory.mktemp("or12")
    return Package(folder, write_demo(folder, students=STUDENTS, seed=SEED, format="oneroster-csv"))


@pytest.fixture(scope="session")
def oneroster11(tmp_path_factory: pytest.TempPathFactory) -> Package:
    folder = tmp_path_factory.mktemp("or11")
    summary = write_demo(
        folder, students=300, seed=SEED, format="oneroster-csv", oneroster_version="1.1"
    )
    return Package(folder, summary)


@pytest.fixture(scope="session")
def vendor(tmp_path_factory: pytest.TempPathFactory) -> Package:
    folder = tmp_path_factory.mktemp("vendor")
    return Package(folder, write_demo(folder, students=STUDENTS, seed=SEED, format="vendor-csv"))
