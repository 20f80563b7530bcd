"""A few fixed statements on the hot path, run through the driver directly.

Every request reads the store's versions and checks its token's id against the revocation
list: each is one tiny indexed read, and SQLAlchemy's expression and execution layers cost
several times what the database does for it. These statements are fixed text with bound
parameters (never values in the text), written once here in the qmark style and adapted to
the driver's.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection


@cache
def _adapted(sql: str, paramstyle: str) -> str:
    return sql if paramstyle == "qmark" else sql.replace("?", "%s")


def fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of a fixed statement written with `?` placeholders."""
    result = conn.exec_driver_sql(_adapted(sql, conn.dialect.paramstyle), tuple(params))
    return [tuple(row) for row in result]
