"""A request's read snapshot, opened in one round trip with the checks every request makes.

Every API request reads the store's versions (they key the read caches) and checks its token
against the revocation list, then reads its page, all in one snapshot (a response's total and
its items must agree while a sync commits). On PostgreSQL the driver would spend a round trip on
each: BEGIN, the revocation check, the versions, the page, and the ROLLBACK. Here the snapshot's
first round trip is one simple-protocol message carrying `BEGIN ISOLATION LEVEL REPEATABLE READ
READ ONLY` and the one statement that answers both checks (`Head`); the page follows, and a
COMMIT ends it (a read-only transaction commits as cheaply as it rolls back, and unlike a
rollback a commit keeps the statements the driver has prepared on the connection: the page's
plan is made once per connection, not per request).

For that, the connections that hold request snapshots come from their own pool in autocommit
mode (`snapshot_engine`): the driver then never issues a BEGIN of its own, and this module is
the only one that begins their transactions. SQLite needs no such engine: its deferred BEGIN
costs no round trip, and in WAL mode holds one snapshot from the first read to the end.

The jti is bound by the driver on the client (psycopg's `ClientCursor`, its literal adapter),
because a message of two statements cannot carry server-side parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from gateway.store.driver_sql import fetch
from gateway.store.engine import SNAPSHOT_MEMO as MEMO
from gateway.store.engine import make_engine

HEAD = ("SELECT (SELECT value FROM change_counter WHERE id = 1), "
        "(SELECT value FROM store_marks WHERE name = 'policy_version'), "
        "EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?)")
BEGIN_PG = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
SNAPSHOTS = "gateway_snapshots"  # execution option: this engine's connections hold snapshots


@dataclass(frozen=True)
class Head:
    """What the snapshot's first statement answered: the store's change and policy versions,
    and whether `jti` (None: none was asked) is revoked."""

    change: int
    policy: int
    jti: str | None = None
    revoked: bool = False


def snapshot_engine(engine: Engine) -> Engine:
    """The engine whose connections hold request snapshots: on PostgreSQL a pool of its own in
    autocommit mode (see the module's docstring), pinged only after resting; on SQLite the
    store's engine."""
    if engine.dialect.name != "postgresql":
        return engine
    return make_engine(engine.url, isolation_level="AUTOCOMMIT").execution_options(
        **{SNAPSHOTS: True})


def open_snapshot(conn: Connection, jti: str | None = None) -> Head:
    """Begin `conn`'s snapshot (unless one is open) and answer its head; `jti` is checked in
    the same statement. A snapshot already open answers from memory when it was asked about
    this jti (or none), else with the revocation check alone."""
    memo = head(conn)
    if memo is not None:
        if jti is None or memo.jti == jti:
            return memo
        (revoked,), = fetch(conn, "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?)",
                            (jti,))
        found = Head(memo.change, memo.policy, jti, bool(revoked))
    elif conn.dialect.name == "postgresql" and _autocommit(conn):
        found = _begin_postgres(conn, jti)
    else:
        if not conn.in_transaction():
            conn.begin()
        (change, policy, revoked), = fetch(conn, HEAD, (jti or "",))
        found = Head(change or 0, policy or 0, jti, bool(revoked) and jti is not None)
    conn.info[MEMO] = (conn.get_transaction(), found)
    return found


def head(conn: Connection) -> Head | None:
    """The head of `conn`'s open snapshot, or None when none is open (never begun, or ended)."""
    memo = conn.info.get(MEMO)
    if memo is None or not conn.in_transaction() or memo[0] is not conn.get_transaction():
        return None
    if conn.dialect.name == "postgresql" and _autocommit(conn) \
            and conn.connection.dbapi_connection.pgconn.transaction_status == 0:  # idle
        return None
    return memo[1]


def end_snapshot(conn: Connection) -> None:
    """End the snapshot and give the connection back. COMMIT, not ROLLBACK: nothing was
    written, and a commit keeps the driver's prepared statements (see the module docstring)."""
    conn.info.pop(MEMO, None)
    try:
        if conn.in_transaction():
            conn.commit()
    finally:
        conn.close()


def _autocommit(conn: Connection) -> bool:
    """Whether `conn` is a snapshot connection in autocommit mode (PostgreSQL's)."""
    return bool(conn.get_execution_options().get(SNAPSHOTS))


def _begin_postgres(conn: Connection, jti: str | None) -> Head:
    """BEGIN and the head in one message (psycopg's client-side binding allows two
    statements in one simple query). SQLAlchemy's transaction is begun too (no statement: the
    connection is in autocommit mode), so it commits or rolls back the one on the server."""
    import psycopg

    if not conn.in_transaction():
        conn.begin()
    raw = conn.connection.dbapi_connection
    sql = f"{BEGIN_PG}; {HEAD.replace('?', '%s')}"
    params = (jti or "",)
    dispatch = conn.dispatch
    try:
        with psycopg.ClientCursor(raw) as cursor:
            if dispatch.before_cursor_execute:  # a tracer or a test watches the statements
                dispatch.before_cursor_execute(conn, cursor, sql, params, None, False)
            cursor.execute(sql, params)
            cursor.nextset()
            (change, policy, revoked), = cursor.fetchall()
            if dispatch.after_cursor_execute:
                dispatch.after_cursor_execute(conn, cursor, sql, params, None, False)
    except psycopg.Error as exc:
        gone = conn.dialect.is_disconnect(exc, raw, None)
        if gone:
            conn.invalidate()
        raise DBAPIError.instance(sql, (jti,), exc, psycopg.Error,
                                  connection_invalidated=gone, dialect=conn.dialect) from exc
    return Head(change or 0, policy or 0, jti, bool(revoked) and jti is not None)
