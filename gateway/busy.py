"""A write that could not get the store's write lock in time.

SQLite has one writer at a time; PostgreSQL serialises sync runs with an advisory lock. A writer
waits for the lock up to its timeout (short for API writes, long for syncs) and then gives up
with `StoreBusy`, which the APIs answer as 503 with Retry-After and the CLI prints as a message:
a busy store is a moment to retry, never an internal error.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.exc import DBAPIError

_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
_PG_LOCK_NOT_AVAILABLE = "55P03"


class StoreBusy(Exception):
    """The write lock stayed held by another writer for longer than this writer would wait."""

    def __init__(self, seconds: float | None) -> None:
        waited = f" for {seconds:g} s" if seconds is not None else ""
        super().__init__(f"the store is busy: another sync or write held the write lock; "
                         f"waited{waited} and gave up; nothing applied")
        self.seconds = seconds
        self.report: Any = None  # the sync run's report, when a run raised it

    @property
    def retry_after(self) -> int:
        """Seconds a client should wait before retrying (the Retry-After header)."""
        return max(1, math.ceil(self.seconds or 1))


def is_lock_timeout(exc: BaseException) -> bool:
    """True for the database's own 'could not get the lock in time' errors: SQLite's
    SQLITE_BUSY, PostgreSQL's lock_not_available (raised when lock_timeout expires)."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    return exc.__class__.__name__ == "OperationalError" and \
        any(text in str(orig).lower() for text in _SQLITE_BUSY)


def as_busy(exc: BaseException) -> StoreBusy | None:
    """The `StoreBusy` an API answers for `exc` (503 + Retry-After), or None when `exc` is
    something else: a run's own StoreBusy, or a lock timeout raised by a write outside a run."""
    if isinstance(exc, StoreBusy):
        return exc
    return StoreBusy(None) if is_lock_timeout(exc) else None
