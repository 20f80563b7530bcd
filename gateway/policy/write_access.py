"""What an app's write may name: only rows it may already read, or rows it wrote itself.

A write that references a person or record the app cannot see would widen what it may read
(a studentSchoolAssociation naming any district student at the app's own school makes that
student visible from then on). So every reference of every written record is checked against
the same visibility rules the reads apply (`Scope.visible_ids`: agreement schools and opt-outs),
with one exception: rows whose `source` is the app's own (it created them). A reference the app
may not follow is answered exactly as a reference to nothing, so a write is never an oracle for
what exists outside the app's view.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, or_, select

from adapters.canonical import FAMILIES
from adapters.records import Record
from gateway.model import ROSTER_TABLES
from gateway.policy.scoping import Scope


class WriteAccess:
    """The reach of one app's write, resolved once per request."""

    def __init__(self, conn: Connection, app_id: int, schools: frozenset[str] | None,
                 source: str) -> None:
        self.conn = conn
        self.scope = Scope(conn, app_id, schools)
        self.source = source

    def may_name(self, family: str, sourced_id: str | None) -> bool:
        """Whether a write may reference this row: the app sees it, or the app wrote it."""
        if not isinstance(sourced_id, str) or family not in ROSTER_TABLES:
            return False
        table = ROSTER_TABLES[family]
        return self.conn.execute(select(table.c.sourced_id).where(
            table.c.sourced_id == sourced_id,
            or_(table.c.source == self.source,
                table.c.sourced_id.in_(self.scope.visible_ids(family))),
        )).first() is not None

    def may_see(self, family: str, sourced_id: str) -> bool:
        """Whether the app may read this row (not counting rows it wrote)."""
        table = ROSTER_TABLES[family]
        return self.conn.execute(select(table.c.sourced_id).where(
            table.c.sourced_id == sourced_id,
            table.c.sourced_id.in_(self.scope.visible_ids(family)))).first() is not None

    def stored(self, family: str, sourced_id: str) -> tuple[str, str] | None:
        """(source, status) of the stored row, whoever may see it: the write path's own
        bookkeeping (created or replaced; which source owns it), never sent to the app."""
        table = ROSTER_TABLES[family]
        row = self.conn.execute(select(table.c.source, table.c.status)
                                .where(table.c.sourced_id == sourced_id)).first()
        return None if row is None else (row.source, row.status)

    def owns(self, family: str, sourced_id: str) -> bool:
        table = ROSTER_TABLES[family]
        return self.conn.execute(select(table.c.source).where(
            table.c.sourced_id == sourced_id)).scalar() == self.source

    def unreachable(self, records: Iterable[Record]) -> list[tuple[Record, str, str]]:
        """(record, field, sourcedId) of every reference the app may not name. A reference to
        another record of the same write is fine: it is written by this app in this write."""
        records = list(records)
        written = {(r.family, r.sourced_id) for r in records}
        out: list[tuple[Record, str, str]] = []
        for rec in records:
            family = FAMILIES[rec.family]
            named: list[tuple[str, str, object]] = []
            if family.id_ref is not None:
                named.append(("sourcedId", family.id_ref, rec.sourced_id))
            for field in family.references:
                value = rec.fields.get(field.name)
                values = value if isinstance(value, list) else [value]
                named.extend((field.name, field.target or "", v) for v in values
                             if v is not None)
            for name, target, value in named:
                if (target, value) in written:
                    continue
                if not self.may_name(target, value if isinstance(value, str) else None):
                    out.append((rec, name, str(value)))
        return out
