"""Write the computed changes to the store: inserts, updates and tombstones, set-based.

Runs inside the run's single transaction; every changed row gets the run's change_version and
the apply time as dateLastModified (consumers filter on it, so it must say when *we* changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Table, delete, insert, literal, select, update

from adapters.canonical import APPLY_ORDER, FAMILIES
from gateway.model import LINK_TABLES, ROSTER_TABLES, ChangeCounter
from gateway.model.columns import indexed_column
from gateway.sync.staging import Staging


def next_change_version(conn: Connection) -> int:
    """Reserve the run's change_version; the row lock serialises concurrent applies."""
    counter = ChangeCounter.__table__
    conn.execute(update(counter).where(counter.c.id == 1).values(value=counter.c.value + 1))
    return conn.execute(select(counter.c.value).where(counter.c.id == 1)).scalar_one()


# Below this many inserts into an empty table, rebuilding its indexes costs more than it saves.
BULK_LOAD_MIN_ROWS = 5000


@contextmanager
def _bulk_load(conn: Connection, store: Table, inserts: int) -> Iterator[None]:
    """A first sync fills empty tables: on SQLite their secondary indexes are dropped for the
    insert and built again after it (one sort each, instead of a random B-tree insert per row
    and index), all inside the run's transaction, so a reader or a killed run sees the old
    schema and rows. PostgreSQL keeps its indexes: dropping one would lock readers out until
    the commit."""
    if conn.dialect.name != "sqlite" or inserts < BULK_LOAD_MIN_ROWS or conn.execute(
            select(literal(1)).select_from(store).limit(1)).first() is not None:
        yield
        return
    indexes = sorted(store.indexes, key=lambda index: index.name or "")
    for index in indexes:
        conn.exec_driver_sql(f"DROP INDEX {index.name}")
    yield
    for index in indexes:
        index.create(conn)


def apply_changes(
    conn: Connection, staging: Staging, chg: Table, source: str, version: int, now: datetime,
    families: list[str], inserts: dict[str, int] | None = None,
) -> None:
    """`inserts` (family -> rows the run inserts) lets an insert into an empty table take
    the bulk-load path."""
    for family in APPLY_ORDER:
        if family not in families:
            continue
        store, stg = ROSTER_TABLES[family], staging.rows[family]
        indexed = [indexed_column(f.name, f.kind) for f in FAMILIES[family].indexed]

        def ids(op: str, family: str = family):
            return select(chg.c.sourced_id).where(chg.c.family == family, chg.c.op.in_(list(op)))

        with _bulk_load(conn, store, (inserts or {}).get(family, 0)):
            conn.execute(insert(store).from_select(
                ["sourced_id", "status", "date_last_modified", "change_version", "source",
                 "content_hash", "data", "row_digest", *indexed],
                select(stg.c.sourced_id, stg.c.status,
                       literal(now, store.c.date_last_modified.type),
                       literal(version, store.c.change_version.type),
                       literal(source, store.c.source.type), stg.c.content_hash, stg.c.data,
                       stg.c.row_digest, *[stg.c[c] for c in indexed])
                .where(stg.c.sourced_id.in_(ids("i")))
                .order_by(stg.c.sourced_id),  # the primary key grows at its end
            ))
        conn.execute(
            update(store)
            .where(store.c.sourced_id == stg.c.sourced_id, stg.c.sourced_id.in_(ids("u")))
            .values(status="active", date_last_modified=now, change_version=version,
                    content_hash=stg.c.content_hash, data=stg.c.data,
                    row_digest=stg.c.row_digest,
                    **{c: stg.c[c] for c in indexed})
        )
        conn.execute(
            update(store).where(store.c.sourced_id.in_(ids("d")))
            .values(status="tobedeleted", date_last_modified=now, change_version=version)
        )
        _replace_links(conn, staging, family, ids("iu"))


def _replace_links(conn: Connection, staging: Staging, family: str, owners) -> None:  # noqa: ANN001
    for f in FAMILIES[family].linked:
        store_link = LINK_TABLES[family][f.name]
        stg_link = staging.links[(family, f.name)]
        conn.execute(delete(store_link).where(store_link.c.owner_id.in_(owners)))
        conn.execute(insert(store_link).from_select(
            ["owner_id", "position", "target_id"],
            select(stg_link.c.owner_id, stg_link.c.position, stg_link.c.target_id)
            .where(stg_link.c.owner_id.in_(owners)),
        ))
