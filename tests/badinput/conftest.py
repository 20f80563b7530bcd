"""A store that already holds a district, and ways to feed it bad input through the real
adapters and the real sync engine."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from adapters.mapped_csv import MappedCsvAdapter
from adapters.oneroster_csv import OneRosterCsvAdapter
from adapters.oneroster_csv.fixtures import build_package
from adapters.records import Issue
from gateway.config import SourceConfig
from gateway.demo import write_demo
from gateway.store import make_engine
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync
from tests.badinput.snapshot import store_snapshot
from tests.store_snapshot import built_once

SIS = SourceConfig(name="sis", adapter="oneroster-csv")
VENDOR = SourceConfig(name="vendor", adapter="mapped-csv")


def sync_oneroster(engine: Engine, path: Path, source: SourceConfig = SIS,
                   **options: object) -> RunReport:
    adapter = OneRosterCsvAdapter(path=str(path), **options)
    return run_sync(engine, source, adapter.read(), adapter_name=SIS.adapter)


def sync_vendor(engine: Engine, folder: Path) -> RunReport:
    adapter = MappedCsvAdapter(path=str(folder), mapping="pack:powerschool")
    return run_sync(engine, VENDOR, adapter.read(), adapter_name=VENDOR.adapter)


def problems(report: RunReport) -> list[Issue]:
    """What stopped or rejected something: errors and fatals, not the warnings."""
    return [issue for issue in report.issues if issue.level != "warning"]


@dataclass
class District:
    """A store holding a synced district, its picture, and a place to build the next input."""

    engine: Engine
    before: dict[str, list[tuple]]
    work: Path

    def package(self, changes: Mapping[str, str | bytes | None], *, as_zip: bool = False,
                name: str = "next") -> Path:
        return build_package(self.work / name, "v1p2_bulk", changes, as_zip=as_zip)

    def unchanged(self) -> bool:
        return store_snapshot(self.engine) == self.before


def _first_sync(engine: Engine, work: Path) -> None:
    report = sync_oneroster(engine, build_package(work / "first", "v1p2_bulk"))
    assert report.state == "applied", problems(report)


@pytest.fixture(scope="session")
def synced_sqlite(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The district synced once per session; each SQLite test starts from a copy of it."""
    path = tmp_path_factory.mktemp("synced") / "store.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    _first_sync(engine, path.parent)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def district(database_url: str, tmp_path: Path, request: pytest.FixtureRequest,
             ) -> Iterator[District]:
    """The OneRoster 1.2 fixture district, synced through the oneroster-csv adapter."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "district.db"
        shutil.copy(request.getfixturevalue("synced_sqlite"), path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = make_engine(database_url)
        built_once(engine, request.getfixturevalue("store_snapshots"), "v1p2_bulk",
                   lambda engine: _first_sync(engine, tmp_path))
    yield District(engine, store_snapshot(engine), tmp_path)
    engine.dispose()


@pytest.fixture(scope="session")
def vendor_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small PowerSchool-style export from the demo generator (the `make demo` input)."""
    folder = tmp_path_factory.mktemp("vendor") / "export"
    write_demo(folder, students=30, seed=1, format="vendor-csv")
    return folder


@pytest.fixture
def vendor_district(engine: Engine, vendor_export: Path, tmp_path: Path,
                    store_snapshots) -> District:
    def build(engine: Engine) -> None:
        report = sync_vendor(engine, vendor_export)
        assert report.state == "applied", problems(report)[:5]

    built_once(engine, store_snapshots, "vendor-csv demo 30 seed 1", build)
    return District(engine, store_snapshot(engine), tmp_path)
