"""What a read costs PostgreSQL in round trips (each one a wait on the network and a wake-up of
the server): a users page whose count is cached is three, the snapshot's head (BEGIN, the
store's versions and the token's revocation in one message), the page and the COMMIT; and a
pooled connection is pinged only after it rested, yet one the server dropped while resting is
replaced before a request uses it. Counted from libpq's own trace of the wire."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from psycopg import pq
from sqlalchemy import text

from gateway.store import engine as store_engine

V12 = "/ims/oneroster/rostering/v1p2"


@pytest.fixture
def pg_api(api):  # noqa: ANN001, ANN201
    if api.engine.dialect.name != "postgresql":
        pytest.skip("round trips are PostgreSQL's cost")
    return api


def _pooled(api) -> list:  # noqa: ANN001
    """The psycopg connections resting in the pool requests read from."""
    pool = api.app.extensions["gateway.store"].snapshots.pool
    return [record.dbapi_connection for record in list(pool._pool.queue)]


def _round_trips(api, get, path: str, trace: Path) -> int:  # noqa: ANN001
    connections = _pooled(api)
    assert connections
    with trace.open("w") as sink:
        for conn in connections:
            conn.pgconn.trace(sink.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            assert get(path).status_code == 200
        finally:
            for conn in connections:
                conn.pgconn.untrace()
    sent = [line for line in trace.read_text().splitlines() if re.match(r"^\S*\s*F\s", line)]
    return sum(1 for line in sent if re.search(r"\s(Sync|Query)\b", line))


def test_a_users_page_with_its_count_cached_is_three_round_trips(pg_api, tmp_path):
    get = pg_api.as_app()
    path = f"{V12}/users?limit=5"
    for _ in range(2):  # the count cached, the statement compiled
        assert get(path).status_code == 200
    assert _round_trips(pg_api, get, path, tmp_path / "libpq.trace") == 3


def test_a_single_user_is_three_round_trips(pg_api, tmp_path):
    get = pg_api.as_app()
    assert get(f"{V12}/users/stu-a1").status_code == 200
    assert _round_trips(pg_api, get, f"{V12}/users/stu-a2", tmp_path / "libpq.trace") == 3


def test_a_pooled_connection_dropped_while_resting_is_replaced_before_use(pg_api,
                                                                          monkeypatch):
    get = pg_api.as_app()
    assert get(f"{V12}/users?limit=5").status_code == 200
    pids = [conn.pgconn.backend_pid for conn in _pooled(pg_api)]
    assert pids
    with pg_api.engine.connect() as admin:
        for pid in pids:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    monkeypatch.setattr(store_engine, "PING_AFTER_IDLE", 0.0)  # they have all rested enough
    assert get(f"{V12}/users?limit=5").status_code == 200
