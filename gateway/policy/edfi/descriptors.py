"""Stored Ed-Fi descriptor values (the `descriptors` family, one row per value, sourcedId =
the value's URI). Descriptors carry no student data: no scoping, only the read scope; a
descriptor has tens of values, so callers load one descriptor's rows and work in memory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, select

from gateway.model import ROSTER_TABLES
from gateway.policy.edfi.examples import version_window

TABLE = ROSTER_TABLES["descriptors"]
FAMILY = "descriptors"


def stored_rows(conn: Connection, name: str, *, status: str = "active",
                low: int | None = None, high: int | None = None) -> list[Row[Any]]:
    """The stored values of descriptor `name` with `status`, in change-version order, within
    the change-version window [low, high] when given."""
    where = [TABLE.c.descriptor == name, TABLE.c.status == status,
             *version_window(TABLE.c.change_version, low, high)]
    return list(conn.execute(
        select(TABLE.c.sourced_id, TABLE.c.status, TABLE.c.date_last_modified,
               TABLE.c.change_version, TABLE.c.source, TABLE.c.data)
        .where(*where).order_by(TABLE.c.change_version, TABLE.c.sourced_id)).all())


def stored_by_uri(conn: Connection, name: str, uri: str, *,
                  active_only: bool = True) -> Row[Any] | None:
    """The stored value of `name` with this URI, compared case-insensitively (Ed-Fi matches
    descriptor values without regard to case)."""
    where = [TABLE.c.descriptor == name, func.lower(TABLE.c.sourced_id) == uri.lower()]
    if active_only:
        where.append(TABLE.c.status == "active")
    return conn.execute(select(TABLE.c.sourced_id, TABLE.c.status, TABLE.c.change_version,
                               TABLE.c.source, TABLE.c.data)
                        .where(*where).order_by(TABLE.c.sourced_id)).first()
