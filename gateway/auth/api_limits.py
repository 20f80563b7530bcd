"""Per-app request budgets on the data APIs (OneRoster), shared by every gateway process
through the store without a database write per request: each process counts locally and
settles with the store's counter every few requests or every second, so all nodes converge on
one count per app and minute while the hot path stays in memory.

A settlement is a write. On SQLite, while a sync holds the write lock (seconds), a settlement
waiting for it would hold up the read that triggered it (the load suite measured reads of
1-5 s during syncs), so it waits SETTLE_WAIT at most and otherwise keeps its count to settle
at the next request: the limit is enforced a little late during a sync, reads are not."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from gateway.auth.rate_limit import WINDOW, RateDecision, add_to_window
from gateway.busy import StoreBusy, as_busy
from gateway.store.engine import for_writes

SETTLE_EVERY = 20  # requests
SETTLE_SECONDS = 1.0
SETTLE_WAIT = 0.05  # seconds a settlement waits for the store's write lock


@dataclass
class _Tally:
    window_start: int
    settled: int = 0  # the store's count at the last settlement (all processes)
    pending: int = 0  # counted here, not yet added to the store
    settled_at: float = 0.0


class ApiRateLimiter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._tallies: dict[str, _Tally] = {}
        self._lock = threading.Lock()

    def hit(self, engine: Engine, client_id: str, now: float | None = None) -> RateDecision:
        moment = time.time() if now is None else now
        window_start = int(moment) - int(moment) % WINDOW
        key = f"api:{client_id}"[:64]
        with self._lock:
            tally = self._tallies.get(key)
            if tally is None or tally.window_start != window_start:
                # settled_at 0: a process's first request of a window learns the shared count
                tally = self._tallies[key] = _Tally(window_start)
            tally.pending += 1
            settle = (tally.pending >= SETTLE_EVERY
                      or moment - tally.settled_at >= SETTLE_SECONDS
                      or tally.settled + tally.pending > self.limit)
            pending = tally.pending if settle else 0
            if settle:
                tally.pending = 0
                tally.settled_at = moment
        if settle:
            try:
                total = add_to_window(for_writes(engine, SETTLE_WAIT), key, window_start,
                                      pending)
            except (StoreBusy, OperationalError) as exc:
                if as_busy(exc) is None:
                    raise
                with self._lock:  # a sync holds the write lock: count on, settle next time
                    tally.pending += pending
            else:
                with self._lock:
                    tally.settled = max(tally.settled, total)
        count = tally.settled + tally.pending
        return RateDecision(allowed=count <= self.limit, count=count,
                            retry_after=max(1, window_start + WINDOW - int(moment)))
