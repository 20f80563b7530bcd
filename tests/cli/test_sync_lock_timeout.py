"""`gateway sync` while another writer holds the store's write lock past `sync_lock_timeout`:
before, a 30 s wait ended in a "database is locked" traceback (SQLite) or waited without bound
(PostgreSQL); now the command ends with a message naming the lock and exit status 2, nothing
applied, and the run recorded as failed where the store can record it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from adapters.oneroster_csv.fixtures import build_package
from gateway.model import ROSTER_TABLES, SyncRun
from gateway.store import make_engine
from tests.cli.conftest import Workspace, run_header
from tests.store.write_lock import write_lock_held

WAIT = 0.5


@pytest.fixture
def sis(workspace: Workspace) -> Workspace:
    text = workspace.config.read_text(encoding="utf-8")
    workspace.config.write_text(text.replace("[gateway]\n", f"[gateway]\nsync_lock_timeout = "
                                                            f"{WAIT}\n"), encoding="utf-8")
    build_package(workspace.folder / "pkg", "v1p2_bulk")
    workspace.add_source("sis", "oneroster-csv", path=str(workspace.folder / "pkg"))
    return workspace


def test_a_sync_that_cannot_get_the_lock_ends_with_a_message_not_a_traceback(
    sis: Workspace,
) -> None:
    sis.gateway("runs")  # the store exists and is migrated before the lock is taken
    with write_lock_held(sis.database_url):
        started = time.perf_counter()
        result = sis.gateway("sync", "sis", expect=2)
        waited = time.perf_counter() - started
    assert "Traceback" not in result.output
    assert "sync sis: failed: the store is busy" in result.output
    assert "write lock" in result.output and "sync_lock_timeout = 0.5 s" in result.output
    assert waited < 10, waited
    engine = make_engine(sis.database_url)
    try:
        with engine.connect() as conn:
            users = ROSTER_TABLES["users"]
            assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 0
            runs = conn.execute(select(SyncRun.__table__.c.state,
                                       SyncRun.__table__.c.message)).all()
    finally:
        engine.dispose()
    if engine.dialect.name == "postgresql":
        # the advisory lock leaves the run history writable: the run says why it failed
        assert [(state, "write lock" in message) for state, message in runs] == \
            [("failed", True)]
    else:
        # SQLite's lock covers the whole file: nothing could be recorded, nothing left running
        assert all(state != "running" for state, _ in runs), runs
    applied = sis.gateway("sync", "sis")  # the lock free again, the same sync applies
    assert run_header(applied.stdout)[2] == "applied"
