"""Compare staging with the store: what would be inserted, updated, tombstoned.

The comparison is by (family, sourced_id, content_hash) and lands in one temporary `chg` table per
run (family, sourced_id, op), which both the counts, the safeguard, the dry-run listing and the
apply read: what is counted is exactly what is applied.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    Index,
    MetaData,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
)

from adapters.canonical import APPLY_ORDER
from gateway.model import ROSTER_TABLES
from gateway.sync.report import RunReport
from gateway.sync.staging import Staging

SAMPLE = 20
# Below this many rows a family is too small for "most of it changed" to mean anything (renaming
# the one district org would be a 100% update); deletions are guarded at every size.
UPDATE_GUARD_MIN_ROWS = 20


def create_change_table(conn: Connection) -> Table:
    meta = MetaData()
    chg = Table(
        "chg", meta,
        Column("family", String(64), primary_key=True),
        Column("sourced_id", String(255), primary_key=True),
        Column("op", String(1)),
        prefixes=["TEMPORARY"],
    )
    # The samples and the apply read one family's operation at a time.
    Index("ix_chg_family_op", chg.c.family, chg.c.op, chg.c.sourced_id)
    meta.create_all(conn)
    return chg


def compute_changes(
    conn: Connection, staging: Staging, chg: Table, source: str, modes: dict[str, str],
    protected: set[str] | frozenset[str] = frozenset(),
) -> None:
    for family in APPLY_ORDER:
        if family not in modes:
            continue
        stg, store = staging.rows[family], ROSTER_TABLES[family]
        joined = stg.outerjoin(store, store.c.sourced_id == stg.c.sourced_id)
        upserts = select(
            literal(family), stg.c.sourced_id,
            case((store.c.sourced_id.is_(None), "i"), else_="u"),
        ).select_from(joined).where(
            stg.c.status == "active", stg.c.held.is_(None),
            or_(store.c.sourced_id.is_(None), store.c.content_hash != stg.c.content_hash,
                store.c.status != "active"),
        )
        conn.execute(insert(chg).from_select(["family", "sourced_id", "op"], upserts))
        if modes[family] == "bulk" and family in protected:
            continue  # an unidentified rejected row may be any stored record: delete none
        if modes[family] == "bulk":
            mentioned = or_(
                exists().where(stg.c.sourced_id == store.c.sourced_id),
                exists().where(staging.rejects.c.family == family,
                               staging.rejects.c.sourced_id == store.c.sourced_id),
            )
            gone = select(literal(family), store.c.sourced_id, literal("d")).where(
                store.c.source == source, store.c.status == "active", ~mentioned
            )
        else:
            gone = select(literal(family), store.c.sourced_id, literal("d")).where(
                store.c.status == "active",
                exists().where(stg.c.sourced_id == store.c.sourced_id,
                               stg.c.status == "tobedeleted"),
            )
        conn.execute(insert(chg).from_select(["family", "sourced_id", "op"], gone))


def count_changes(conn: Connection, staging: Staging, chg: Table, report: RunReport) -> None:
    rows = conn.execute(
        select(chg.c.family, chg.c.op, func.count()).group_by(chg.c.family, chg.c.op)
    ).all()
    for family, op, n in rows:
        counts = report.family(family)
        if op == "i":
            counts.inserted = n
        elif op == "u":
            counts.updated = n
        else:
            counts.deleted = n
    for family, stg in staging.rows.items():
        if family not in report.counts:
            continue
        active = conn.execute(
            select(func.count()).select_from(stg).where(stg.c.status == "active")
        ).scalar_one()
        counts = report.family(family)
        counts.unchanged = active - counts.inserted - counts.updated


def sample_changes(conn: Connection, chg: Table, report: RunReport) -> None:
    """A few sourcedIds per family and operation, for dry runs and the run report."""
    names = {"i": "inserted", "u": "updated", "d": "deleted"}
    for family in report.counts:
        for op, label in names.items():
            ids = conn.execute(
                select(chg.c.sourced_id)
                .where(and_(chg.c.family == family, chg.c.op == op))
                .order_by(chg.c.sourced_id).limit(SAMPLE)
            ).scalars().all()
            if ids:
                report.samples.setdefault(family, {})[label] = list(ids)


def safeguard_violations(
    conn: Connection, report: RunReport, source: str, modes: dict[str, str],
    max_delete: float, max_update: float,
) -> list[str]:
    """Why this run must not apply without --force: a truncated export must never wipe a
    district, and a mangled one must not rewrite it."""
    problems = []
    for family, mode in modes.items():
        if mode != "bulk":
            continue
        store = ROSTER_TABLES[family]
        before = conn.execute(
            select(func.count()).select_from(store)
            .where(store.c.source == source, store.c.status == "active")
        ).scalar_one()
        if not before:
            continue
        counts = report.family(family)
        if counts.deleted / before > max_delete:
            problems.append(
                f"{family}: would delete {counts.deleted} of {before} active rows "
                f"({counts.deleted / before:.0%} > {max_delete:.0%})"
            )
        if before >= UPDATE_GUARD_MIN_ROWS and counts.updated / before > max_update:
            problems.append(
                f"{family}: would update {counts.updated} of {before} active rows "
                f"({counts.updated / before:.0%} > {max_update:.0%})"
            )
    return problems
