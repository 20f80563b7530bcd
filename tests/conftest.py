"""Shared fixtures: a migrated store on SQLite, and on PostgreSQL when
GATEWAY_TEST_DATABASE_URL is set, so every store test runs on both."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from gateway.model import metadata
from gateway.store import make_engine, upgrade

PG_URL = os.environ.get("GATEWAY_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    assert PG_URL
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


def _reset_postgres(engine: Engine) -> None:
    tables = [t.name for t in metadata.sorted_tables]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
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
    return PG_URL  # type: ignore[return-value]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
