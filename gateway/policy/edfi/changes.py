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
from gateway.policy.pseudonym_order import Keyed, ordered
from gateway.policy.reads import ReadSession


def newest_change_version(conn: Connection) -> int:
    counter = ChangeCounter.__table__
    return int(conn.execute(select(func.max(counter.c.value))).scalar() or 0)


def deleted_rows(session: ReadSession, resource: str, low: int | None, high: int | None,
                 limit: int, offset: int) -> list[Row[Any]]:
    """Tombstones of `resource` the app may see, in change-version order, and within one
    version in the app's own order where it is shown pseudonyms of the family (see
    gateway/policy/pseudonym_order.py). The app's scope applies to tombstones too; a
    school-limited app may therefore miss the deletion of a person whose roles went with it
    (it never learns keys elsewhere)."""
    family = RESOURCES[resource].family
    table = ROSTER_TABLES[family]
    where = [table.c.status == "tobedeleted", subset(resource, any_status=True),
             session.visible(family), *version_window(table.c.change_version, low, high)]
    query = select(*(table.c[c] for c in ROW_COLUMNS)).where(*where)
    keyed = _keyed(session, family)
    if keyed is None:
        query = query.order_by(table.c.change_version, table.c.sourced_id)
    else:
        query = query.select_from(keyed.join(table, table)) \
            .order_by(table.c.change_version, *keyed.order(table))
    return list(session.conn.execute(query.limit(limit).offset(offset)).all())


def _keyed(session: ReadSession, family: str) -> Keyed | None:
    if not ordered(session.reader.agreement, family):
        return None
    return Keyed(session.reader.app_id, family)


def key_change_rows(session: ReadSession, resource: str, low: int | None,
                    high: int | None) -> list[Row[Any]]:
    """The key-change log of `resource` for rows the app may see, oldest first."""
    family = RESOURCES[resource].family
    table = ROSTER_TABLES[family]
    log = EDFI_KEY_CHANGES
    where = [log.c.resource == resource, subset(resource, any_status=True),
             session.visible(family), *version_window(log.c.change_version, low, high)]
    source = log.join(table, table.c.sourced_id == log.c.sourced_id)
    order = [log.c.change_version, log.c.id]
    keyed = _keyed(session, family)
    if keyed is not None:  # within a version, the app's own order (see deleted_rows)
        source = keyed.join(source, table)
        order = [log.c.change_version, keyed.order(table)[0], log.c.id]
    return list(session.conn.execute(
        select(log.c.sourced_id, log.c.change_version, log.c.old_key, log.c.new_key,
               table.c.data).select_from(source).where(*where).order_by(*order)).all())
