"""Objects the app holds for its lifetime: the store engine (created lazily, once per
process, so gunicorn workers each open their own pool after forking)."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine

from gateway.config import Settings
from gateway.policy.reads import ReadCaches
from gateway.store.engine import for_reads, for_writes, make_engine
from gateway.store.snapshot import end_snapshot, head, open_snapshot, snapshot_engine


class Store:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.read_caches = ReadCaches()
        self.read_caches.pseudonyms.writes = lambda: self.engine
        self.read_caches.writes = lambda: self.writes
        self._engine: Engine | None = None
        self._reads: Engine | None = None
        self._writes: Engine | None = None
        self._snapshots: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @property
    def reads(self) -> Engine:
        if self._reads is None:
            self._reads = for_reads(self.engine)
        return self._reads

    @property
    def snapshots(self) -> Engine:
        """Where requests' read snapshots come from (see gateway.store.snapshot): on
        PostgreSQL a pool of its own."""
        if self._snapshots is None:
            self._snapshots = snapshot_engine(self.reads)
        return self._snapshots

    def close(self) -> None:
        """Close the pools: what a shut-down app (or a finished test) leaves open is nothing."""
        if self._snapshots is not None and self._snapshots.pool is not getattr(
                self._engine, "pool", None):
            self._snapshots.dispose()
        if self._engine is not None:
            self._engine.dispose()
        self._engine = self._reads = self._writes = self._snapshots = None

    @property
    def writes(self) -> Engine:
        if self._writes is None:
            self._writes = for_writes(self.engine, self.settings.write_lock_timeout)
        return self._writes


def store_engine() -> Engine:
    return current_app.extensions["gateway.store"].engine


def read_engine() -> Engine:
    """The store as API reads see it: one snapshot per connection (see `for_reads`)."""
    return current_app.extensions["gateway.store"].reads


def write_engine() -> Engine:
    """The store as API writes use it: the write lock taken up front, waited for no longer
    than `write_lock_timeout` (then `StoreBusy`, answered 503)."""
    return current_app.extensions["gateway.store"].writes


def request_reads(jti: str | None = None) -> Connection:
    """The one read connection (one snapshot) a request's reads share: the token's revocation
    check and the response's reads begin one transaction, not one each. The snapshot is open
    when this returns (`jti`: the token to check in its first statement, see
    gateway.store.snapshot), and ended when the request ends (`init_request_reads`)."""
    conn = g.get("gateway_reads")
    if conn is None:
        conn = g.gateway_reads = current_app.extensions["gateway.store"].snapshots.connect()
    if jti is not None or head(conn) is None:
        open_snapshot(conn, jti)
    return conn


def end_request_reads() -> None:
    """End the request's read snapshot: after a write, what the request reads next (the
    object it returns) must see the write."""
    conn = g.pop("gateway_reads", None)
    if conn is not None:
        end_snapshot(conn)


def init_request_reads(app: Flask) -> None:
    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        end_request_reads()


def disclosure_log() -> Any:
    """Where this app's responses record what they disclosed (a `DisclosureSpool`)."""
    return current_app.extensions["gateway.disclosures"]


def read_caches() -> ReadCaches:
    """What this process remembers about the app's store (see `ReadCaches`)."""
    return current_app.extensions["gateway.store"].read_caches
