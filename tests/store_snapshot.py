"""A store's whole content, taken once and put back into a fresh store before each test.

A fixture that builds its district through the real sync engine (or the real API) pays for it
in every test; with a snapshot it pays once per backend and test process, and every test
still starts from exactly the rows, counters and sequences that building would have left
(only the build's own timestamps are older). The snapshot is of the model's tables, the same
set tests/conftest.py empties between tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, select, text

from gateway.model import metadata


@dataclass
class StoreSnapshot:
    rows: dict[str, list[dict[str, Any]]]
    # PostgreSQL sequences (name -> last value, None if never used); SQLite's sqlite_sequence
    sequences: dict[str, int | None] = field(default_factory=dict)


def take_snapshot(engine: Engine) -> StoreSnapshot:
    with engine.connect() as conn:
        rows = {table.name: [dict(row._mapping) for row in conn.execute(select(table))]
                for table in metadata.sorted_tables}
        if engine.dialect.name == "postgresql":
            sequences = dict(conn.execute(text(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = current_schema()")).all())
        else:
            sequences = dict(conn.execute(text("SELECT name, seq FROM sqlite_sequence")).all()) \
                if _has_sqlite_sequence(conn) else {}
    return StoreSnapshot(rows, sequences)


def built_once(engine: Engine, snapshots: dict[tuple[str, str], StoreSnapshot], name: str,
               build: Callable[[Engine], object]) -> None:
    """Give the empty store at `engine` what `build(engine)` puts in it: built the first time a
    test process needs `name` on this backend, restored from its snapshot every time after.
    `snapshots` is the session's (tests/conftest.py `store_snapshots`), so each xdist worker
    builds each district once per backend; `name` must say everything `build` depends on."""
    key = (name, engine.dialect.name)
    if key in snapshots:
        restore_snapshot(engine, snapshots[key])
    else:
        build(engine)
        snapshots[key] = take_snapshot(engine)


def restore_snapshot(engine: Engine, snapshot: StoreSnapshot) -> None:
    """Make the store at `engine` hold exactly what the snapshot holds."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):  # dependents first
            conn.execute(delete(table))
        for table in metadata.sorted_tables:
            if snapshot.rows[table.name]:
                conn.execute(table.insert(), snapshot.rows[table.name])
        if engine.dialect.name == "postgresql":
            conn.execute(text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, "
                "start_value, false) FROM pg_sequences WHERE schemaname = current_schema()"))
            for name, value in snapshot.sequences.items():
                if value is not None:
                    conn.execute(text("SELECT setval(CAST(:name AS regclass), :value, true)"),
                                 {"name": name, "value": value})
        elif _has_sqlite_sequence(conn):
            conn.execute(text("DELETE FROM sqlite_sequence"))
            for name, value in snapshot.sequences.items():
                conn.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:n, :v)"),
                             {"n": name, "v": value})


def _has_sqlite_sequence(conn: Any) -> bool:
    return conn.execute(text("SELECT count(*) FROM sqlite_master "
                             "WHERE name = 'sqlite_sequence'")).scalar() > 0
