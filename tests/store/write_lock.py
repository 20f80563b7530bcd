"""Holding the store's write lock from another connection, as a long sync would: on SQLite a
raw BEGIN IMMEDIATE on the same file, on PostgreSQL the sync runs' advisory lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from gateway.store import make_engine
from gateway.sync.runner import RUN_LOCK


@contextmanager
def write_lock_held(database_url: str) -> Iterator[None]:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        return
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK})
            yield
            transaction.rollback()
    finally:
        engine.dispose()
