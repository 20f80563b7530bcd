"""Rows a re-sync already holds: recognised by their digest, staged from the store.

A nightly export differs from last night's in a few rows. An adapter that digests its raw rows
(`adapters.records.RowDigests`) asks which of them the store holds unchanged; those are neither
parsed, validated nor hashed again. Their staged rows (their file and line, and the columns the
checks read) are taken from the store by the query that compared the digests, and marked `held`,
so the duplicate and reference checks, the counts and the safeguards see the whole source as
before, while the ownership check, the diff and the apply pass over them: they are this
source's rows as stored, so they carry neither content hash nor data.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Column, Connection, Table, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB

from adapters.canonical import FAMILIES, Field
from adapters.records import RowDigests
from gateway.model import LINK_TABLES, ROSTER_TABLES
from gateway.model.columns import indexed_column
from gateway.sync.report import RunReport
from gateway.sync.staging import Staging, staged_fields

HELD = 1


class KnownRows:
    """Answers an adapter's row digests and stages the rows found unchanged."""

    def __init__(self, conn: Connection, staging: Staging, report: RunReport, source: str,
                 enabled: bool) -> None:
        self.conn = conn
        self.staging = staging
        self.report = report
        self.source = source
        self.enabled = enabled
        self._has_digests: dict[str, bool] = {}

    def answer(self, event: RowDigests) -> set[int]:
        """The lines of the batch whose row the store holds as it is; they count as read."""
        family = event.family
        if not (self.enabled and event.rows and self._digested(family)):
            return set()
        store = ROSTER_TABLES[family]
        values = [self._stored_value(store, f) for f in staged_fields(family)]
        # By primary key alone: with the source and status in the WHERE, SQLite walks the
        # (source, status) index, which holds every row of the source.
        stored = {row[0]: row for row in self.conn.execute(
            select(store.c.sourced_id, store.c.source, store.c.status, store.c.row_digest,
                   *values)
            .where(store.c.sourced_id.in_(list({sid for _, sid, _ in event.rows})))).all()}
        known: list[tuple[int, str]] = []
        for line, sid, digest in event.rows:
            row = stored.get(sid)
            if row is None or row[3] != digest or row[1] != self.source or row[2] != "active":
                continue
            known.append((line, sid))
            # No content hash nor data: the diff and the apply pass over held rows.
            self.staging.add_row(family, (line, event.file, sid, "active", "", "", digest,
                                          HELD, *row[4:]))
        if known:
            self._stage_links(family, [sid for _, sid in known])
            self.report.family(family).read += len(known)
        return {line for line, _ in known}

    def _stage_links(self, family: str, owners: list[str]) -> None:
        for f in FAMILIES[family].linked:
            link = LINK_TABLES[family][f.name]
            found: dict[str, list[tuple[int, str]]] = defaultdict(list)
            for owner, position, target in self.conn.execute(
                    select(link.c.owner_id, link.c.position, link.c.target_id)
                    .where(link.c.owner_id.in_(list(set(owners))))
                    .order_by(link.c.owner_id, link.c.position)):
                found[owner].append((position, target))
            for owner in owners:  # once per staged row, as a parsed row would be
                for position, target in found.get(owner, ()):
                    self.staging.add_link(family, f.name, owner, position, target)

    def _digested(self, family: str) -> bool:
        """Whether the store holds any digest of this source's rows of `family` (a first
        sync answers every batch without a query)."""
        if family not in self._has_digests:
            store = ROSTER_TABLES[family]
            self._has_digests[family] = self.conn.execute(
                select(store.c.sourced_id).where(
                    store.c.source == self.source, store.c.row_digest.is_not(None)).limit(1)
            ).first() is not None
        return self._has_digests[family]

    def _stored_value(self, store: Table, field: Field) -> Column:
        """A staged column's value as the store keeps it: its own column when indexed, else
        read from the row's JSON."""
        if field.indexed:
            return store.c[indexed_column(field.name, field.kind)]
        if self.conn.dialect.name == "postgresql":
            return cast(store.c.data, JSONB)[field.name].astext
        return func.json_extract(store.c.data, f"$.{field.name}")
