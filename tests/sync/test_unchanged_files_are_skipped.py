"""A file identical to the one the store already holds is not parsed again: re-running an
unchanged export costs little more than hashing it, and changes nothing."""

from __future__ import annotations

import shutil

from sqlalchemy import select

from adapters.oneroster_csv import OneRosterCsvAdapter
from adapters.oneroster_csv.fixtures import fixture_path
from adapters.records import FamilyMode, Record
from gateway.config import SourceConfig
from gateway.model import ROSTER_TABLES
from gateway.sync.runner import run_sync

SIS = SourceConfig(name="sis", adapter="oneroster-csv")


def sync(engine, path, **kw):  # noqa: ANN001, ANN201
    adapter = OneRosterCsvAdapter(path=str(path))
    return run_sync(engine, SIS, adapter.read(), adapter_name="oneroster-csv", **kw)


def test_a_second_sync_of_the_same_package_skips_every_file_but_orgs(engine, tmp_path):
    package = tmp_path / "pkg"
    shutil.copytree(fixture_path("v1p2_bulk"), package)
    first = sync(engine, package)
    assert first.state == "applied" and not first.skipped
    again = sync(engine, package)
    assert again.state == "unchanged"
    assert "users" in again.skipped and "enrollments" in again.skipped
    assert "orgs" not in again.skipped  # orgs.csv feeds the package context: always read
    assert again.counts["users"].read == 0
    assert again.counts["users"].unchanged == first.counts["users"].inserted


def test_only_the_changed_file_is_read(engine, tmp_path):
    package = tmp_path / "pkg"
    shutil.copytree(fixture_path("v1p2_bulk"), package)
    sync(engine, package)
    users = package / "users.csv"
    users.write_text(users.read_text(encoding="utf-8").replace(",Maria,", ",Mariah,", 1),
                     encoding="utf-8")
    report = sync(engine, package)
    assert "users" not in report.skipped and "enrollments" in report.skipped
    assert report.counts["users"].updated == 1
    assert report.state == "applied"


def test_full_reads_everything(engine, tmp_path):
    package = tmp_path / "pkg"
    shutil.copytree(fixture_path("v1p2_bulk"), package)
    sync(engine, package)
    report = sync(engine, package, full=True)
    assert report.skipped == [] and report.state == "unchanged"
    assert report.counts["users"].read > 0


def test_a_family_changed_in_the_store_since_is_read_again(engine, tmp_path):
    package = tmp_path / "pkg"
    shutil.copytree(fixture_path("v1p2_bulk"), package)
    first = sync(engine, package)
    users = ROSTER_TABLES["users"]
    with engine.connect() as conn:
        some_user = conn.execute(select(users.c.sourced_id).limit(1)).scalar_one()
    delta = [FamilyMode("users", "delta"), Record("users", some_user, {}, status="tobedeleted")]
    assert run_sync(engine, SIS, iter(delta), adapter_name="t").state == "applied"
    report = sync(engine, package)
    assert "users" not in report.skipped
    assert report.counts["users"].updated == 1  # the tombstoned user comes back
    assert first.counts["users"].inserted == report.counts["users"].unchanged + 1
