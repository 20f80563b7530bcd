"""Finding a canonical row from its Ed-Fi `id`.

The id is a hash of the resource and the row's sourcedId (`adapters.edfi_mapping.identity`), so
it cannot be reversed; GET/PUT/DELETE by id look it up in `edfi_ids`, a map kept in step with
the store from the change_version counter: rows changed since the resource's watermark are
hashed and added, set-based, before a lookup. The map is derived data (it can be dropped and
rebuilt at any time), which is why filling it on the read path is acceptable. Applies are
serialised by the change counter's row lock, so change versions commit in order and a watermark
never skips a row.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from adapters.edfi_mapping.identity import edfi_id
from adapters.edfi_mapping.resources import RESOURCES
from gateway.model import ROSTER_TABLES
from gateway.model.edfi import EDFI_ID_MARKS, EDFI_IDS
from gateway.store.engine import for_writes

CHUNK = 5000


def refresh(engine: Engine, resource: str) -> None:
    """Add the ids of rows changed since the last refresh. Whether any did is read first,
    without a write lock (the common case: nothing to add); the additions then take the write
    lock up front and wait for it (a deferred transaction upgraded to a write fails at once on
    SQLite when another writer, a sync or the disclosure spool, committed in between, and the
    read that follows would answer 404 for a row it may see). A store still busy past the
    wait, or another process adding the same ids first, keeps the map as it is."""
    with engine.connect() as conn:
        if not _behind(conn, resource):
            return
    try:
        with for_writes(engine).begin() as conn:
            _refresh(conn, resource)
    except (OperationalError, IntegrityError):
        return


def _behind(conn: Connection, resource: str) -> bool:
    table = ROSTER_TABLES[RESOURCES[resource].family]
    mark = conn.execute(select(EDFI_ID_MARKS.c.change_version)
                        .where(EDFI_ID_MARKS.c.resource == resource)).scalar()
    return conn.execute(select(table.c.sourced_id).where(
        table.c.change_version > (mark or 0)).limit(1)).first() is not None


def _refresh(conn: Connection, resource: str) -> None:
    table = ROSTER_TABLES[RESOURCES[resource].family]
    mark = conn.execute(select(EDFI_ID_MARKS.c.change_version)
                        .where(EDFI_ID_MARKS.c.resource == resource)).scalar()
    rows = conn.execute(select(table.c.sourced_id, table.c.change_version)
                        .where(table.c.change_version > (mark or 0))).all()
    if not rows:
        return
    candidates = {edfi_id(resource, r.sourced_id): r.sourced_id for r in rows}
    known: set[str] = set()
    keys = list(candidates)
    for start in range(0, len(keys), CHUNK):
        known |= set(conn.execute(select(EDFI_IDS.c.edfi_id).where(
            EDFI_IDS.c.edfi_id.in_(keys[start:start + CHUNK]))).scalars())
    new = [{"edfi_id": k, "resource": resource, "sourced_id": v}
           for k, v in candidates.items() if k not in known]
    if new:
        conn.execute(insert(EDFI_IDS), new)
    newest = max(r.change_version for r in rows)
    if mark is None:
        conn.execute(insert(EDFI_ID_MARKS), {"resource": resource, "change_version": newest})
    else:
        conn.execute(update(EDFI_ID_MARKS).where(EDFI_ID_MARKS.c.resource == resource)
                     .values(change_version=newest))


def sourced_id_of(engine: Engine, resource: str, the_id: str) -> str | None:
    """The sourcedId behind an Ed-Fi id of `resource`, or None."""
    refresh(engine, resource)
    with engine.connect() as conn:
        return conn.execute(select(EDFI_IDS.c.sourced_id).where(
            EDFI_IDS.c.edfi_id == the_id.lower(), EDFI_IDS.c.resource == resource)).scalar()
