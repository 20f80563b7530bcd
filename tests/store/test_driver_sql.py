"""Statements run through the driver (gateway/store/driver_sql.py) answer what SQLAlchemy's own
execution answers: the hot read path may not change a single row of a result."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, bindparam, insert, select

from gateway.model import ROSTER_TABLES
from gateway.store.driver_sql import Prepared

USERS = ROSTER_TABLES["users"]
MOMENTS = [datetime(2026, 12, 8, 0, 26, 42, 226000, tzinfo=UTC),
           datetime(2026, 12, 8, 0, 26, 42, 227000, tzinfo=UTC),
           datetime(2026, 12, 8, 0, 26, 43, tzinfo=UTC)]


def _filler(column) -> object:  # noqa: ANN001
    """A value for a required column this test does not look at."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return {}
    return {str: "x", int: 1, bool: True, float: 1.0, dict: {}, list: []}.get(kind, "x")


def _users(engine: Engine) -> None:
    required = [c for c in USERS.columns
                if not c.nullable and c.default is None and c.server_default is None]
    rows = []
    for n, moment in enumerate(MOMENTS):
        row = {c.name: _filler(c) for c in required}
        row.update(sourced_id=f"u{n}", status="active", date_last_modified=moment)
        rows.append(row)
    with engine.begin() as conn:
        conn.execute(insert(USERS), rows)


def _both_ways(engine: Engine, statement, params=None) -> tuple[list, list]:  # noqa: ANN001
    with engine.connect() as conn:
        expected = [tuple(r) for r in conn.execute(statement, params or {})]
        prepared = Prepared.compile(statement, conn.dialect)
        found = [tuple(r) for r in prepared.rows(conn, params)]
    return expected, found


def test_a_date_time_bound_at_compile_time_compares_as_the_store_keeps_it(engine: Engine) -> None:
    """SQLite keeps DateTime as text: an instant equal to a stored one must match `>=` (the
    bound value reaches the driver in the stored text form, not Python's default one)."""
    _users(engine)
    for moment in MOMENTS:
        statement = select(USERS.c.sourced_id).where(
            USERS.c.date_last_modified >= moment).order_by(USERS.c.sourced_id)
        expected, found = _both_ways(engine, statement)
        assert found == expected
        assert len(found) == 3 - MOMENTS.index(moment)


def test_a_date_time_bound_at_each_run_and_an_in_list_match_too(engine: Engine) -> None:
    _users(engine)
    statement = select(USERS.c.sourced_id).where(
        USERS.c.date_last_modified < bindparam("until", type_=USERS.c.date_last_modified.type),
        USERS.c.sourced_id.in_(["u0", "u1", "u2"])).order_by(USERS.c.sourced_id)
    expected, found = _both_ways(engine, statement, {"until": MOMENTS[2]})
    assert found == expected == [("u0",), ("u1",)]
