"""Shared fixtures: a migrated store on SQLite, and on PostgreSQL when
GATEWAY_TEST_DATABASE_URL is set, so every store test runs on both."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, appcontext_pushed
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from gateway.app import close_app
from gateway.model import metadata
from gateway.store import make_engine, upgrade
from tests.store_snapshot import StoreSnapshot

PG_URL = os.environ.get("GATEWAY_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the `slow` tests (minutes between them: the 200 MB imports, the
    hardening load and crash runs, the benches' smoke runs) start first, dealt round the
    workers: `make test` runs `--dist worksteal`, which gives worker i the i-th contiguous
    share of this order and lets an idle worker take the back half of a busy one's queue, so
    a long test never starts last and the short ones even out the end. Every test still runs;
    only the order changes, and within a share the rest keep their collection order (fixture
    reuse). Without xdist the order is pytest's."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers < 2:
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if not slow:
        return
    rest = [item for item in items if not item.get_closest_marker("slow")]
    shares: list[pytest.Item] = []
    left, taken = len(items), 0
    for worker in range(workers):
        size = left // (workers - worker)  # what worksteal's first deal sends worker i
        mine = slow[worker::workers]
        if len(mine) > size:
            return  # too few tests to deal out; keep the order as collected
        shares += mine + rest[taken:taken + size - len(mine)]
        taken += size - len(mine)
        left -= size
    items[:] = shares


@pytest.fixture(autouse=True)
def _close_the_apps_a_test_used() -> Iterator[None]:
    """Every app a test served from is closed when the test ends (its store pool, its disclosure
    mover): a suite that builds hundreds of apps must not hold hundreds of PostgreSQL pools."""
    used: set[Flask] = set()

    def remember(app: Flask, **_extra: object) -> None:
        used.add(app)

    appcontext_pushed.connect(remember)
    try:
        yield
    finally:
        appcontext_pushed.disconnect(remember)
        for app in used:
            if "gateway.store" in app.extensions:
                close_app(app)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _worker_database(url: str) -> str:
    """The PostgreSQL database this test process owns. Under pytest-xdist each worker gets its
    own (`test_gw0`, ...), created next to the configured one, since every store test resets
    the whole schema; without xdist it is the configured database itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    configured = make_url(url)
    name = f"{configured.database}_{worker}"
    admin = create_engine(configured, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return configured.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_url() -> str:
    assert PG_URL
    return _worker_database(PG_URL)


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


# A table holding more rows than this is truncated; one holding fewer is emptied by DELETE.
_TRUNCATE_FROM = 5_000


def _reset_postgres(engine: Engine) -> None:
    """Empty every table and restart every sequence, as a freshly migrated store has them.
    TRUNCATE gives each table and index a new file, which costs a second or two for the whole
    schema on a busy disk, on every test; a test leaves rows in a few small tables, and
    DELETE FROM those costs a few milliseconds. Big tables (an import test's) are truncated."""
    tables = [t.name for t in reversed(metadata.sorted_tables)]  # dependents first
    with engine.begin() as conn:
        sizes = dict(conn.execute(text(" UNION ALL ".join(
            f"(SELECT '{t}', count(*) FROM (SELECT 1 FROM {t} LIMIT {_TRUNCATE_FROM}) AS s)"
            for t in tables))).all())
        big = [t for t in tables if sizes[t] >= _TRUNCATE_FROM]
        if big:
            conn.execute(text(f"TRUNCATE {', '.join(big)} CASCADE"))
        for table in tables:
            if 0 < sizes[table] < _TRUNCATE_FROM:
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text(
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value,"
            " false) FROM pg_sequences WHERE schemaname = current_schema()"))
        # the rows the migrations seed
        conn.execute(text("INSERT INTO change_counter (id, value) VALUES (1, 0)"))
        conn.execute(text("INSERT INTO disclosure_head (id, chain, count) "
                          "VALUES (1, :zero, 0)"), {"zero": "0" * 64})


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A URL of an empty, migrated store on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    engine = request.getfixturevalue("pg_engine")
    _reset_postgres(engine)
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def store_snapshots() -> dict[tuple[str, str], StoreSnapshot]:
    """Districts built once per test process and backend, by name (tests/store_snapshot.py
    `built_once`): a fixture restores its district from here instead of syncing it again."""
    return {}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
