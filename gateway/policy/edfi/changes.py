"""The rows of Ed-Fi change queries, through the app's scope like every other read:
tombstones of a resource (`/deletes`), the key-change log (`/keyChanges`) and the store's
newest change version (`availableChangeVersions`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, select

from adapters.edfi_mapping.resources import RESOURCES
from gateway.model import EDFI_KEY_CHANGES, ROSTER_TABLES, ChangeCounter
from gateway.policy.edfi.examples import version_window
from gateway.policy.edfi.rows import ROW_COLUMNS
from gateway.policy.edfi.subsets import subset
from gateway.policy.reads import ReadSession


def newest_change_version(conn: Connection) -> int:
    counter = ChangeCounter.__table__
    return int(conn.execute(select(func.max(counter.c.value))).scalar() or 0)


def deleted_rows(session: ReadSession, resource: str, low: int | None, high: int | None,
                 limit: int, offset: int) -> list[Row[Any]]:
    """Tombstones of `resource` the app may see, in change-version order. The app's scope
    applies to tombstones too; a school-limited app may therefore miss the deletion of a
    person whose roles went with it (it never learns keys elsewhere)."""
    family = RESOURCES[resource].family
    table = ROSTER_TABLES[family]
    where = [table.c.status == "tobedeleted", subset(resource, any_status=True),
             session.visible(family), *version_window(table.c.change_version, low, high)]
    return list(session.conn.execute(
        select(*(table.c[c] for c in ROW_COLUMNS)).where(*where)
        .order_by(table.c.change_version, table.c.sourced_id)
        .limit(limit).offset(offset)).all())


def key_change_rows(session: ReadSession, resource: str, low: int | None,
                    high: int | None) -> list[Row[Any]]:
    """The key-change log of `resource` for rows the app may see, oldest first."""
    family = RESOURCES[resource].family
    table = ROSTER_TABLES[family]
    log = EDFI_KEY_CHANGES
    where = [log.c.resource == resource, subset(resource, any_status=True),
             session.visible(family), *version_window(log.c.change_version, low, high)]
    return list(session.conn.execute(
        select(log.c.sourced_id, log.c.change_version, log.c.old_key, log.c.new_key,
               table.c.data)
        .join(table, table.c.sourced_id == log.c.sourced_id).where(*where)
        .order_by(log.c.change_version, log.c.id)).all())
