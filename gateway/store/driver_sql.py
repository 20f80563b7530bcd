"""Statements on the hot path, run through the driver directly.

Every request reads the store's versions, checks its token's id against the revocation list
and reads one page: each is a small indexed read, and SQLAlchemy's execution layer (execution
context, result metadata, a Row per row) costs several times what the database does for it
(SQLite: about 0.4 ms of a 100-row page against 0.13 ms in the driver). Statements are either
fixed text with bound parameters (`fetch`, written once in the qmark style and adapted to the
driver's) or SQLAlchemy statements compiled once (`Prepared`, cached by the caller) and then
executed on the connection's DBAPI cursor, inside the transaction SQLAlchemy holds. Values are
never put in the text. Driver errors are raised as SQLAlchemy's (`DBAPIError.instance`), as
`Connection.execute` would, so callers keep telling a busy store from a fault.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


@cache
def _adapted(sql: str, paramstyle: str) -> str:
    return sql if paramstyle == "qmark" else sql.replace("?", "%s")


def _cursor_rows(conn: Connection, sql: str, params: Any) -> list[tuple[Any, ...]]:
    """Run `sql` on the DBAPI connection under `conn`'s transaction (begun if none is)."""
    dispatch = conn.dispatch
    if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
        # Someone watches the statements (a query-plan test, a tracer): let them see these
        # too, through SQLAlchemy's own path, with the same text and parameters.
        result = conn.exec_driver_sql(sql, params)
        return [tuple(row) for row in result] if result.returns_rows else []
    if not conn.in_transaction():
        conn.begin()
    raw = conn.connection
    cursor = raw.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description is not None else []
    except conn.dialect.loaded_dbapi.Error as exc:
        gone = conn.dialect.is_disconnect(exc, raw, cursor)
        if gone:
            conn.invalidate()
        raise DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error,
                                  connection_invalidated=gone,
                                  dialect=conn.dialect) from exc
    finally:
        cursor.close()


def fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of a fixed statement written with `?` placeholders."""
    return _cursor_rows(conn, _adapted(sql, conn.dialect.paramstyle), tuple(params))


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """A fixed statement (`?` placeholders) run once per row through the driver's
    executemany: a bulk write of plain values (no bind processing needed) without the
    per-row parameter handling of SQLAlchemy's execution layer."""
    if rows:
        conn.exec_driver_sql(_adapted(sql, conn.dialect.paramstyle),
                             [tuple(r) for r in rows])


@dataclass(frozen=True)
class Prepared:
    """A SQLAlchemy statement compiled once for one dialect: its text, the order and default
    values of its parameters, their bind processors, the result columns' processors and a
    row type whose fields are the statement's column labels (`row.sourced_id`, `row[1]`)."""

    sql: str
    positional: tuple[str, ...] | None  # qmark/format drivers: parameter names in order
    defaults: dict[str, Any]
    binds: dict[str, Callable[[Any], Any]]
    results: tuple[Callable[[Any], Any] | None, ...] | None  # None: no column needs one
    row: Any

    @classmethod
    def compile(cls, statement: Any, dialect: Any) -> Prepared:
        compiled = statement.compile(dialect=dialect)
        # IN lists are expanded now, one placeholder per value (their values are the
        # caller's, known now); parameters left for each execution (a page's limit) get a
        # stand-in here and their value at each run.
        open_ = {name: None for name, bind in compiled.binds.items()
                 if bind.value is None and bind.callable is None}
        state = compiled.construct_expanded_state(open_)
        names = [c.keyname for c in compiled._result_columns]
        results = tuple(c.type._cached_result_processor(dialect, None)
                        for c in compiled._result_columns)
        # Bind processors (SQLite's DateTime is stored as text: a datetime must reach the
        # driver in that text form) come from the compiled statement for plain parameters and
        # from the expanded state for the members of IN lists. The values known now are
        # processed once here; the open ones at each run.
        processors = {**compiled._bind_processors, **state.processors}
        defaults = dict(state.parameters)
        for name, value in defaults.items():
            process = processors.get(name)
            if process is not None and name not in open_ and value is not None:
                defaults[name] = process(value)
        binds = {name: processors[name] for name in open_ if processors.get(name) is not None}
        positional = tuple(state.positiontup) if compiled.positional else None
        return cls(state.statement, positional, defaults, binds,
                   results if any(results) else None,
                   namedtuple("PreparedRow", names, rename=True))

    def rows(self, conn: Connection, params: dict[str, Any] | None = None) -> list[Any]:
        values = self.defaults
        if params or self.binds:
            values = {**values, **(params or {})}
            for name, process in self.binds.items():
                if values[name] is not None:
                    values[name] = process(values[name])
        bound: Any = (tuple(values[n] for n in self.positional)
                      if self.positional is not None else values)
        found = _cursor_rows(conn, self.sql, bound)
        make = self.row._make
        if self.results is None:
            return [make(r) for r in found]
        processed = [(i, p) for i, p in enumerate(self.results) if p is not None]
        out = []
        for r in found:
            values = list(r)
            for i, process in processed:
                values[i] = process(values[i])
            out.append(make(values))
        return out
