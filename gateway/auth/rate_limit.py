"""Per-client request counting in fixed one-minute windows, kept in the store so that several
gateway processes enforce one limit together."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.model import RateCounter

WINDOW = 60


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window resets


def add_to_window(engine: Engine, key: str, window_start: int, n: int = 1) -> int:
    """Add `n` requests to `key`'s count in the window; the new total of every process."""
    counter = RateCounter.__table__
    bump = (update(counter)
            .where(counter.c.client_id == key, counter.c.window_start == window_start)
            .values(count=counter.c.count + n).returning(counter.c.count))
    for _attempt in range(3):
        try:
            with engine.begin() as conn:
                count = conn.execute(bump).scalar()
                if count is not None:
                    return int(count)
                # first request of the window: sweep windows finished a full minute ago (a
                # shorter window of another key must not sweep a running minute), then start
                conn.execute(delete(counter).where(
                    counter.c.window_start < window_start - WINDOW))
                conn.execute(insert(counter).values(
                    client_id=key, window_start=window_start, count=n))
                return n
        except IntegrityError:
            continue  # another process started the window first: count on top of it
    raise RuntimeError(f"could not count requests of {key!r}")


def window_count(engine: Engine, key: str, window_start: int) -> int:
    """`key`'s count in the window so far, without adding to it (0 when nothing was counted)."""
    counter = RateCounter.__table__
    query = select(counter.c.count).where(counter.c.client_id == key,
                                          counter.c.window_start == window_start)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def hit(engine: Engine, client_id: str, limit: int, now: float | None = None) -> RateDecision:
    """Count one request of `client_id` and say whether it is within `limit` per window."""
    moment = time.time() if now is None else now
    window_start = int(moment) - int(moment) % WINDOW
    count = add_to_window(engine, client_id, window_start)
    retry_after = max(1, window_start + WINDOW - int(moment))
    return RateDecision(allowed=count <= limit, count=count, retry_after=retry_after)
