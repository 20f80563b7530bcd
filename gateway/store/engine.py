"""Engines for SQLite (one district machine) and PostgreSQL (a district or state).

SQLite runs in WAL mode so readers keep reading the last committed store while a sync applies,
and with Python's implicit transactions turned off so that SQLAlchemy's BEGIN/COMMIT are the
only ones: a sync's apply is then exactly one transaction, and a killed process rolls back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from gateway.config import DEFAULT_SYNC_LOCK_TIMEOUT

IMMEDIATE = "gateway_sqlite_begin_immediate"
LOCK_TIMEOUT = "gateway_lock_timeout"
SNAPSHOT_MEMO = "gateway_snapshot_head"  # a pooled connection's open snapshot (store.snapshot)
CHECKED_IN = "gateway_checked_in"
PING_AFTER_IDLE = 2.0  # seconds a pooled connection may rest before it is pinged on checkout


def for_writes(engine: Engine, lock_timeout: float | None = None) -> Engine:
    """The same engine (and pool) whose transactions take SQLite's write lock when they begin,
    waiting up to the busy timeout; readers stay deferred so WAL lets them run during a write.
    `lock_timeout` (seconds) is how long this writer waits for the lock before giving up
    (`gateway.busy.StoreBusy`); without it an engine keeps the wait it already carries,
    else the sync default. On PostgreSQL the runner applies it to its advisory lock."""
    options: dict[str, object] = {IMMEDIATE: True}
    if lock_timeout is not None:
        options[LOCK_TIMEOUT] = float(lock_timeout)
    return engine.execution_options(**options)


def lock_timeout_of(engine_or_conn) -> float:  # noqa: ANN001
    """The seconds a writer on this engine or connection waits for the write lock."""
    return float(engine_or_conn.get_execution_options().get(LOCK_TIMEOUT,
                                                            DEFAULT_SYNC_LOCK_TIMEOUT))


def for_reads(engine: Engine) -> Engine:
    """The same engine (and pool) whose transactions see one snapshot from first statement to
    last: a response's count and its page must agree even while a sync commits between them.
    PostgreSQL's READ COMMITTED gives each statement its own snapshot, so reads ask for
    REPEATABLE READ (read only, so it never fails to serialise); SQLite's deferred BEGIN in WAL
    mode already holds one snapshot for the transaction."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ",
                                        postgresql_readonly=True)
    return engine


def make_engine(url: str, **kwargs) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    engine = create_engine(url, **kwargs)
    ping_when_idle(engine)
    return engine


def ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection on checkout only when it has rested longer than
    PING_AFTER_IDLE seconds (a busy server reuses its connections within milliseconds: a
    ping per request would be a round trip per request for nothing). A connection that
    fails the ping is replaced before the caller sees it, as `pool_pre_ping` would; one
    broken while busy fails its statement, which invalidates the pool, as without a ping."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[CHECKED_IN] = time.monotonic()
            record.info.pop(SNAPSHOT_MEMO, None)

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        rested = record.info.get(CHECKED_IN)
        if rested is None or time.monotonic() - rested <= PING_AFTER_IDLE:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc
        if not alive:
            raise DisconnectionError("pooled connection failed its ping")


def _sqlite_engine(url: str, database: str | None, **kwargs) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # A deferred BEGIN later upgraded to a write fails at once with "database is locked"
        # (the busy timeout cannot apply to an upgrade); writers take the lock up front instead.
        options = conn.get_execution_options()
        _busy_timeout(conn, lock_timeout_of(conn))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(IMMEDIATE) else "BEGIN")

    return engine


def _busy_timeout(conn, seconds: float) -> None:  # noqa: ANN001
    """SQLite's wait for the lock is per connection; pooled connections serve API writes
    (short wait) and syncs (long wait), so each transaction sets its own when it differs."""
    millis = int(seconds * 1000)
    info = conn.connection.info
    if info.get(LOCK_TIMEOUT) != millis:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={millis}")
        info[LOCK_TIMEOUT] = millis


_TURNS: dict[str, threading.RLock] = {}
_TURNS_GUARD = threading.Lock()


@contextmanager
def writer_turn(engine: Engine, timeout: float) -> Iterator[bool]:
    """One writer at a time per SQLite file in this process, queued on a lock that wakes the
    next waiter when released. SQLite's busy handler polls with growing sleeps, so among many
    threads one writer can starve past its wait while others keep winning; queueing them here
    first leaves the busy timeout for other processes (a CLI sync). Yields False when the turn
    did not come within `timeout`. PostgreSQL needs no turn (its lock queue is fair)."""
    if not is_sqlite(engine) or engine.url.database in (None, "", ":memory:"):
        yield True
        return
    with _TURNS_GUARD:
        turn = _TURNS.setdefault(str(Path(engine.url.database).resolve()), threading.RLock())
    if not turn.acquire(timeout=timeout):
        yield False
        return
    try:
        yield True
    finally:
        turn.release()


def is_sqlite(engine_or_conn) -> bool:  # noqa: ANN001
    return engine_or_conn.dialect.name == "sqlite"
