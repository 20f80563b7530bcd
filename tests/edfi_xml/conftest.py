"""A demo district written as Ed-Fi XML, and a way to import interchange sets through the real
adapter and the real sync engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from adapters.edfi_xml import EdfiXmlAdapter
from adapters.records import Issue
from gateway.config import SourceConfig
from gateway.demo import write_demo
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync

XML_SOURCE = SourceConfig(name="edfi", adapter="edfi-xml")
STUDENTS, SEED = 120, 11


def sync_xml(engine: Engine, path: Path, **options: object) -> RunReport:
    adapter = EdfiXmlAdapter(path=str(path), **options)
    return run_sync(engine, XML_SOURCE, adapter.read(), adapter_name=XML_SOURCE.adapter)


def problems(report: RunReport) -> list[Issue]:
    return [issue for issue in report.issues if issue.level != "warning"]


@pytest.fixture(scope="session")
def demo_xml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-edfi-xml")
    write_demo(out, students=STUDENTS, seed=SEED, format="edfi-xml")
    return out


@pytest.fixture
def xml_copy(demo_xml: Path, tmp_path: Path) -> Path:
    """A copy of the demo interchange set a test may spoil."""
    return Path(shutil.copytree(demo_xml, tmp_path / "set"))
