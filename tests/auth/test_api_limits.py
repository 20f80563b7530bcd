"""The data-API budget is shared by processes through the store, settled in batches."""

from __future__ import annotations

from gateway.auth.api_limits import SETTLE_EVERY, ApiRateLimiter

NOW = 1_800_000_000.0  # the start of a window (a multiple of 60)


def test_two_processes_share_one_budget(engine):
    node_a, node_b = ApiRateLimiter(limit=50), ApiRateLimiter(limit=50)
    # A settles its first request, then every SETTLE_EVERY more
    for n in range(1 + SETTLE_EVERY):
        assert node_a.hit(engine, "app", now=NOW + n * 0.01).allowed
    # B's first request of the window settles too, and sees A's requests already counted
    decision = node_b.hit(engine, "app", now=NOW + 0.5)
    assert decision.count == SETTLE_EVERY + 2
    for n in range(50 - SETTLE_EVERY - 2):
        assert node_b.hit(engine, "app", now=NOW + 0.6 + n * 0.001).allowed
    assert not node_b.hit(engine, "app", now=NOW + 0.7).allowed  # the 51st of the window


def test_a_new_window_starts_a_new_budget(engine):
    limiter = ApiRateLimiter(limit=3)
    for n in range(4):
        decision = limiter.hit(engine, "app", now=NOW + n)
    assert not decision.allowed
    assert limiter.hit(engine, "app", now=NOW + 60).allowed
    assert decision.retry_after == 57


def test_a_held_write_lock_delays_no_request_and_the_count_settles_later(engine, database_url):
    """A sync holding SQLite's write lock for seconds must not hold up reads through the
    limiter's settlement (found by tests/hardening/test_load.py: reads of 1-5 s during syncs);
    what could not be settled is settled, not lost, once the lock is free."""
    import time

    from tests.store.write_lock import write_lock_held

    limiter, other = ApiRateLimiter(limit=1000), ApiRateLimiter(limit=1000)
    with write_lock_held(database_url):
        started = time.perf_counter()
        for n in range(5):
            assert limiter.hit(engine, "app", now=NOW + n * 1.5).allowed  # each one settles
        assert time.perf_counter() - started < 2.0
    limiter.hit(engine, "app", now=NOW + 8)
    assert other.hit(engine, "app", now=NOW + 9).count == 7
