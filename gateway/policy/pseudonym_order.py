"""The order an app under a pseudonymous agreement receives a pseudonymised family in.

Pseudonyms alone do not keep two apps from joining their data: listed in the district's
sourcedId order, row i of one app's page is row i of the other's, and `sort=sourcedId` would
sort by the very ids the pseudonyms hide. Such an app's listings of the families it is shown
pseudonyms of (people: users, demographics, enrollments, results and Ed-Fi's role-based
associations; classes, if the agreement says so) are therefore ordered by a key of its own:
the id it is shown for the row (its pseudonym, an HMAC under the store's secret; a row it
wrote itself keeps its own id), or, for Ed-Fi's associations, whose sourcedIds it is never
shown, a pseudonym of the same kind under their own tag. So its default order is its shown
ids' order, `sort=sourcedId` follows the ids it sees, and another app's order is unrelated.

The key cannot be computed in SQL portably (SQLite has no HMAC), so it is kept in an indexed
table (gateway/model/pseudonym_order.py) the read engine joins into that app's listings only;
an app without pseudonyms reads exactly as before. The table is derived data, kept complete
from the families' change_version (as `Pseudonyms._refresh` catches up its map): a sync adds
the keys of the rows it changed in its own transaction (so a reader sees rows and keys
together), an app's registration or a changed agreement fills the app's keys, and a reader
whose snapshot finds an app's keys behind (a store upgraded with apps already registered, a
registration racing a sync) brings them up to date before it reads
(`ReadSession._order_ready`).

Rejected: sorting in Python (every id of a listing read, keyed and sorted per app, filter and
store version: a walk of the whole family for each new filter, after every sync), and keys
SQL can compute from a stored per-row value (an XOR or an affine map of it with a per-app
constant: orders that differ, but are related by a few unknown bits two apps can recover from
a handful of people they both know). The table costs a row per app and keyed row; it also
holds, indexed, the reverse map of every pseudonym it names (app, family, sort_key).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    delete,
    func,
    insert,
    not_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from gateway.model import PSEUDONYM_ORDER, PSEUDONYM_ORDER_MARKS, ROSTER_TABLES, AgreementRow, App
from gateway.policy.agreement import Agreement, from_document
from gateway.policy.pseudonyms import Pseudonyms, store_key_in
from gateway.policy.shown_ids import WRITABLE, own_source
from gateway.store.driver_sql import execute_many, fetch

ORDER = PSEUDONYM_ORDER
MARKS = PSEUDONYM_ORDER_MARKS
COUNTER = "SELECT value FROM change_counter WHERE id = 1"
# family -> (the agreement's setting that pseudonymises it, the kind of pseudonym its key is)
ORDERED: dict[str, tuple[str, str]] = {
    "users": ("people", "people"), "demographics": ("people", "people"),
    "enrollments": ("people", "enrollments"), "results": ("people", "results"),
    "roles": ("people", "roles"), "classes": ("classes", "classes"),
}
CHUNK = 5000
INSERT = "INSERT INTO pseudonym_order (app_id, family, sourced_id, sort_key) VALUES (?, ?, ?, ?)"
# A row changed since the mark may have a key already (its source became the app's own).
UPSERT = INSERT + (" ON CONFLICT (app_id, family, sourced_id)"
                   " DO UPDATE SET sort_key = excluded.sort_key")


def ordered(agreement: Agreement, family: str) -> bool:
    """Whether the app's listings of `family` are in its own key's order."""
    found = ORDERED.get(family)
    return found is not None and agreement.pseudonymous(found[0])


def keyed_families(agreement: Agreement) -> tuple[str, ...]:
    return tuple(f for f in ORDERED if ordered(agreement, f))


def ref_sort_key(app_id: int, family: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The app's key of the `family` row a reference column names: sorting on a
    pseudonymised reference (enrollments by `user`) sorts by the ids the app is shown."""
    keys = ORDER.alias(f"ref_order_{family}")
    return select(keys.c.sort_key).where(keys.c.app_id == app_id, keys.c.family == family,
                                         keys.c.sourced_id == column).scalar_subquery()


# -- the read engine's side -------------------------------------------------------------------
@dataclass(frozen=True)
class Keyed:
    """One keyed listing's parts: the join that brings the key, and the order after the
    client's sort keys (the key; the sourcedId only breaks ties between equal keys, which
    only an app writing a row under another row's pseudonym can make)."""

    app_id: int
    family: str

    def join(self, source: Any, table: Any) -> Any:
        return source.join(ORDER, and_(ORDER.c.app_id == self.app_id,
                                       ORDER.c.family == self.family,
                                       ORDER.c.sourced_id == table.c.sourced_id))

    @staticmethod
    def order(_table: Any) -> list[ColumnElement[Any]]:
        # The key table's own sourcedId (the row's, by the join): the index holds both
        # columns in this order, so a page is read in index order with no sort.
        return [ORDER.c.sort_key, ORDER.c.sourced_id]

    @staticmethod
    def from_(_table: Any, key: Any, sourced_id: Any, *,
              inclusive: bool) -> ColumnElement[bool]:
        """Rows at or after (key, sourced_id) in the key's order: a range on the key the
        index serves, less the equal keys before the row."""
        before = ORDER.c.sourced_id < sourced_id if inclusive \
            else ORDER.c.sourced_id <= sourced_id
        return and_(ORDER.c.sort_key >= key, not_(and_(ORDER.c.sort_key == key, before)))

    def key(self, conn: Connection, sourced_id: str) -> str | None:
        return conn.execute(select(ORDER.c.sort_key).where(
            ORDER.c.app_id == self.app_id, ORDER.c.family == self.family,
            ORDER.c.sourced_id == sourced_id)).scalar()


def behind(conn: Connection, app_id: int, agreement: Agreement, version: int) -> bool:
    """Whether this snapshot lacks keys of the app's rows (its marks short of the store's
    change counter, `version`, as the snapshot sees it)."""
    families = keyed_families(agreement)
    marks = dict(conn.execute(select(MARKS.c.family, MARKS.c.change_version)
                              .where(MARKS.c.app_id == app_id)).all())
    return any(marks.get(f, -1) < version for f in families)


def refresh(writes: Engine, app_id: int) -> None:
    """Bring one app's keys up to date in a write transaction of their own (the read path's
    catch-up; a store busy past the engine's wait raises its lock timeout, a 503)."""
    try:
        with writes.begin() as conn:
            catch_up(conn, [app_id])
    except IntegrityError:
        pass  # another process filled them first (PostgreSQL: the caller reads them now)


# -- keeping the keys ------------------------------------------------------------------------
@dataclass(frozen=True)
class _App:
    app_id: int
    client_id: str
    agreement: Agreement


def _apps(conn: Connection, app_ids: Iterable[int] | None) -> list[_App]:
    query = (select(App.id, App.client_id, AgreementRow.document)
             .join(AgreementRow, AgreementRow.id == App.agreement_id))
    if app_ids is not None:
        query = query.where(App.id.in_(list(app_ids)))
    found = []
    for row in conn.execute(query):
        agreement = from_document(row.document)
        if agreement.pseudonymous_ids:
            found.append(_App(row.id, row.client_id, agreement))
    return found


def catch_up(conn: Connection, app_ids: Iterable[int] | None = None) -> None:
    """Inside the caller's write transaction: the keys of every row changed since each
    app's mark, for every app under a pseudonymous agreement (or those of `app_ids`), and
    the marks moved to the store's change counter. Costs one query when no app needs keys,
    and per app and family one indexed probe when no row of it changed."""
    apps = _apps(conn, app_ids)
    if not apps:
        return
    version = conn.exec_driver_sql(COUNTER).scalar() or 0
    marks = {(r.app_id, r.family): r.change_version for r in conn.execute(
        select(MARKS).where(MARKS.c.app_id.in_([a.app_id for a in apps])))}
    secret = store_key_in(conn)
    newest: dict[str, int] = {}
    for app in apps:
        for family in keyed_families(app.agreement):
            mark = marks.get((app.app_id, family))
            if family not in newest:
                table = ROSTER_TABLES[family]
                newest[family] = conn.execute(select(func.max(table.c.change_version))
                                              .select_from(table)).scalar() or 0
            if mark is None or newest[family] > mark:
                _fill(conn, secret, app, family, mark)
            _mark(conn, app.app_id, family, version, exists=mark is not None)


def forget(conn: Connection, app_id: int, agreement: Agreement) -> None:
    """Drop the app's keys (and marks) of the families its agreement no longer shows it
    pseudonyms of: derived data nothing reads any more."""
    keep = list(keyed_families(agreement))
    for table in (ORDER, MARKS):
        conn.execute(delete(table).where(table.c.app_id == app_id,
                                         table.c.family.not_in(keep)))


def _fill(conn: Connection, secret: bytes, app: _App, family: str, mark: int | None) -> None:
    """Set-based and through the driver (a first fill is every row of the family: a
    SQLAlchemy row and parameter set per row would cost more than the HMACs)."""
    table = ROSTER_TABLES[family]
    kind = ORDERED[family][1]
    own = own_source(app.client_id) if kind in WRITABLE else None
    if mark is None:  # a first fill: whatever keys a former agreement left go first
        conn.execute(delete(ORDER).where(ORDER.c.app_id == app.app_id,
                                         ORDER.c.family == family))
    sql = f"SELECT sourced_id, {'source' if own is not None else 'NULL'} FROM {table.name}"
    rows = fetch(conn, sql + " WHERE change_version > ?", (mark,)) if mark is not None \
        else fetch(conn, sql)
    if not rows:
        return
    keys = Pseudonyms(secret, app.app_id, kind).each(sid for sid, _ in rows)
    values = [(app.app_id, family, sid, sid if own is not None and source == own else key)
              for (sid, source), key in zip(rows, keys, strict=True)]
    statement = INSERT if mark is None else UPSERT
    for start in range(0, len(values), CHUNK):
        execute_many(conn, statement, values[start:start + CHUNK])


def _mark(conn: Connection, app_id: int, family: str, version: int, *, exists: bool) -> None:
    if exists:
        conn.execute(update(MARKS).where(MARKS.c.app_id == app_id, MARKS.c.family == family)
                     .values(change_version=version))
    else:
        conn.execute(insert(MARKS).values(app_id=app_id, family=family,
                                          change_version=version))
