"""Set-based checks on the staged rows: duplicates, ownership and references.

Each check reports the rows it rejects (file, line, field, value, reason), removes them from
staging and remembers them as rejects, so that a rejected row neither reaches the store nor gets
its existing version tombstoned. References are checked in dependency order, so rejecting a user
also rejects the enrollments that point at it.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, delete, exists, func, or_, select

from adapters.canonical import APPLY_ORDER, FAMILIES
from adapters.records import Issue
from gateway.model import ROSTER_TABLES
from gateway.model.columns import indexed_column
from gateway.sync.report import RunReport
from gateway.sync.staging import Staging, staged_fields


def _reject(
    conn: Connection, staging: Staging, report: RunReport, family: str, sourced_ids: set[str]
) -> None:
    if not sourced_ids:
        return
    report.family(family).errors += len(sourced_ids)
    stg = staging.rows[family]
    ids = sorted(sourced_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        conn.execute(delete(stg).where(stg.c.sourced_id.in_(chunk)))
    for sid in ids:
        staging.add_reject(family, sid)
    staging.flush()


def reject_duplicates(conn: Connection, staging: Staging, report: RunReport) -> None:
    for family, stg in staging.rows.items():
        dup_ids = select(stg.c.sourced_id).group_by(stg.c.sourced_id).having(func.count() > 1)
        rows = conn.execute(
            select(stg.c.sourced_id, stg.c.line, stg.c.file)
            .where(stg.c.sourced_id.in_(dup_ids))
            .order_by(stg.c.sourced_id, stg.c.line)
        ).all()
        if not rows:
            continue
        lines: dict[str, list[int | None]] = {}
        for sid, line, _file in rows:
            lines.setdefault(sid, []).append(line)
        for sid, line, file in rows:
            others = ", ".join(str(n) for n in lines[sid] if n != line)
            report.add_issue(Issue(
                "error", f"duplicate sourcedId (also at line {others})", file=file, line=line,
                field="sourcedId", value=sid, family=family, sourced_id=sid,
            ))
        _reject(conn, staging, report, family, set(lines))


def reject_foreign_owned(
    conn: Connection, staging: Staging, report: RunReport, source: str
) -> None:
    """A sourcedId already owned by another source is not silently taken over."""
    for family, stg in staging.rows.items():
        store = ROSTER_TABLES[family]
        rows = conn.execute(
            select(stg.c.sourced_id, stg.c.line, stg.c.file, store.c.source)
            .join(store, store.c.sourced_id == stg.c.sourced_id)
            .where(store.c.source != source)
        ).all()
        for sid, line, file, owner in rows:
            report.add_issue(Issue(
                "error", f"sourcedId already belongs to source {owner!r}", file=file, line=line,
                field="sourcedId", value=sid, family=family, sourced_id=sid,
            ))
        _reject(conn, staging, report, family, {r[0] for r in rows})


def _resolvable(
    staging: Staging, target: str, key, source: str, bulk_targets: set[str]  # noqa: ANN001
):
    """SQL condition: `key` names a row that will be active after this run."""
    tstg = staging.rows[target].alias("target_stg")
    store = ROSTER_TABLES[target].alias("target_store")
    in_run = exists().where(tstg.c.sourced_id == key, tstg.c.status == "active")
    deleted_by_run = exists().where(
        tstg.c.sourced_id == store.c.sourced_id, tstg.c.status == "tobedeleted"
    )
    kept_from_store = store.c.status == "active"
    if target in bulk_targets:
        rejected = exists().where(
            staging.rejects.c.family == target, staging.rejects.c.sourced_id == store.c.sourced_id
        )
        kept_from_store = and_(kept_from_store, or_(store.c.source != source, rejected))
    in_store = exists().where(store.c.sourced_id == key, kept_from_store, ~deleted_by_run)
    return or_(in_run, in_store)


def reject_dangling(
    conn: Connection, staging: Staging, report: RunReport, source: str, bulk: set[str]
) -> None:
    for family in APPLY_ORDER:
        fam = FAMILIES[family]
        stg = staging.rows[family]
        bad: set[str] = set()
        checks = [(f.name, f.target, stg.c[indexed_column(f.name, f.kind)])
                  for f in staged_fields(family) if f.kind == "ref"]
        if fam.id_ref:
            checks.append(("sourcedId", fam.id_ref, stg.c.sourced_id))
        for field_name, target, column in checks:
            rows = conn.execute(
                select(stg.c.sourced_id, stg.c.line, stg.c.file, column).where(
                    stg.c.status == "active", column.is_not(None),
                    ~_resolvable(staging, target, column, source, bulk),
                )
            ).all()
            for sid, line, file, value in rows:
                report.add_issue(Issue(
                    "error", f"refers to {target} {value!r}, which is neither in this import "
                    "nor active in the store", file=file, line=line, field=field_name,
                    value=value, family=family, sourced_id=sid,
                ))
                bad.add(sid)
        for f in fam.linked:
            link = staging.links[(family, f.name)]
            rows = conn.execute(
                select(link.c.owner_id, link.c.target_id, stg.c.line, stg.c.file)
                .join(stg, stg.c.sourced_id == link.c.owner_id)
                .where(~_resolvable(staging, f.target, link.c.target_id, source, bulk))
            ).all()
            for sid, value, line, file in rows:
                report.add_issue(Issue(
                    "error", f"refers to {f.target} {value!r}, which is neither in this import "
                    "nor active in the store", file=file, line=line, field=f.name,
                    value=value, family=family, sourced_id=sid,
                ))
                bad.add(sid)
        _reject(conn, staging, report, family, bad)
