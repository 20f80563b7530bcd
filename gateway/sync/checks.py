"""Set-based checks on the staged rows: duplicates, ownership and references.

Each check reports the rows it rejects (file, line, field, value, reason), removes them from
staging and remembers them as rejects, so that a rejected row neither reaches the store nor gets
its existing version tombstoned. References are checked in dependency order and again until
nothing more is rejected, so a rejection carries through every row that leans on it, whatever
the order: the enrollments of a rejected user, a session whose parent session was rejected, a
user whose every role was, and so on. The reason names the rejected row it points at.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, delete, exists, func, or_, select

from adapters.canonical import APPLY_ORDER, FAMILIES
from adapters.records import Issue
from gateway.model import ROSTER_TABLES
from gateway.model.columns import indexed_column
from gateway.sync.report import RunReport
from gateway.sync.staging import Staging, staged_fields

_CHUNK = 500
_USER = indexed_column("user", "ref")  # the roles column that names the user


def _reject(
    conn: Connection, staging: Staging, report: RunReport, family: str, sourced_ids: set[str]
) -> None:
    if not sourced_ids:
        return
    report.family(family).errors += len(sourced_ids)
    stg = staging.rows[family]
    ids = sorted(sourced_ids)
    user = stg.c[_USER] if family == "roles" else None
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        columns = [stg.c.sourced_id, stg.c.file, stg.c.line] + ([user] if user is not None
                                                                else [])
        for row in conn.execute(select(*columns).where(stg.c.sourced_id.in_(chunk))):
            staging.add_reject(family, row[0], row[1], row[2],
                               row[3] if user is not None else None)
        conn.execute(delete(stg).where(stg.c.sourced_id.in_(chunk)))
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
            .where(stg.c.held.is_(None), store.c.source != source)
        ).all()
        for sid, line, file, owner in rows:
            report.add_issue(Issue(
                "error", f"sourcedId already belongs to source {owner!r}", file=file, line=line,
                field="sourcedId", value=sid, family=family, sourced_id=sid,
            ))
        _reject(conn, staging, report, family, {r[0] for r in rows})


def _kept_in_store(staging: Staging, target: str, store, source: str,  # noqa: ANN001
                   bulk_targets: set[str]):
    """SQL condition on a stored row of `target`: it is still active after this run. A bulk
    run tombstones its own rows it does not mention, except those it rejected (kept as they
    were)."""
    tstg = staging.rows[target].alias("deleting_stg")
    deleted_by_run = exists().where(
        tstg.c.sourced_id == store.c.sourced_id, tstg.c.status == "tobedeleted"
    )
    kept = store.c.status == "active"
    if target in bulk_targets:
        rejected = exists().where(
            staging.rejects.c.family == target, staging.rejects.c.sourced_id == store.c.sourced_id
        )
        kept = and_(kept, or_(store.c.source != source, rejected))
    return and_(kept, ~deleted_by_run)


def _resolvable(
    staging: Staging, target: str, key, source: str, bulk_targets: set[str]  # noqa: ANN001
):
    """SQL condition: `key` names a row that will be active after this run."""
    tstg = staging.rows[target].alias("target_stg")
    store = ROSTER_TABLES[target].alias("target_store")
    in_run = exists().where(tstg.c.sourced_id == key, tstg.c.status == "active")
    in_store = exists().where(store.c.sourced_id == key,
                              _kept_in_store(staging, target, store, source, bulk_targets))
    return or_(in_run, in_store)


def _rejected_in_run(conn: Connection, staging: Staging, target: str,
                     values: set[str]) -> dict[str, str]:
    """Which of `values` this run rejected as rows of `target`, and where each one was."""
    rej = staging.rejects
    found: dict[str, str] = {}
    ids = sorted(values)
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(select(rej.c.sourced_id, rej.c.file, rej.c.line).where(
            rej.c.family == target, rej.c.sourced_id.in_(ids[start:start + _CHUNK])))
        for sid, file, line in rows:
            found.setdefault(sid, _where(file, line))
    return found


def _where(file: str | None, line: int | None) -> str:
    parts = [p for p in (file, None if line is None else f"line {line}") if p]
    return " ".join(parts) if parts else "no line known"


def _dangling_reason(target: str, value: str, rejected: dict[str, str]) -> str:
    if value in rejected:
        return (f"refers to {target} {value!r}, which was rejected in this run "
                f"({rejected[value]}; see its error)")
    return f"refers to {target} {value!r}, which is neither in this import nor active in the store"


def _check_family(
    conn: Connection, staging: Staging, report: RunReport, family: str, source: str,
    bulk: set[str], targets: set[str] | None,
) -> set[str]:
    """The rows of `family` whose references (to `targets`, or all) name nothing."""
    fam = FAMILIES[family]
    stg = staging.rows[family]
    found: list[tuple[str, int | None, str | None, str, str, str]] = []
    checks = [(f.name, f.target, stg.c[indexed_column(f.name, f.kind)])
              for f in staged_fields(family) if f.kind == "ref"]
    if fam.id_ref:
        checks.append(("sourcedId", fam.id_ref, stg.c.sourced_id))
    for field_name, target, column in checks:
        if targets is not None and target not in targets:
            continue
        rows = conn.execute(
            select(stg.c.sourced_id, stg.c.line, stg.c.file, column).where(
                stg.c.status == "active", column.is_not(None),
                ~_resolvable(staging, target, column, source, bulk),
            )
        ).all()
        found += [(sid, line, file, value, field_name, target) for sid, line, file, value in rows]
    for f in fam.linked:
        if targets is not None and f.target not in targets:
            continue
        link = staging.links[(family, f.name)]
        rows = conn.execute(
            select(link.c.owner_id, link.c.target_id, stg.c.line, stg.c.file)
            .join(stg, stg.c.sourced_id == link.c.owner_id)
            .where(~_resolvable(staging, f.target, link.c.target_id, source, bulk))
        ).all()
        found += [(sid, line, file, value, f.name, f.target)
                  for sid, value, line, file in rows]
    rejected: dict[str, dict[str, str]] = {}
    for target in {t for *_, t in found}:
        rejected[target] = _rejected_in_run(conn, staging, target,
                                            {v for *_, v, _f, t in found if t == target})
    for sid, line, file, value, field_name, target in found:
        report.add_issue(Issue(
            "error", _dangling_reason(target, value, rejected[target]), file=file, line=line,
            field=field_name, value=value, family=family, sourced_id=sid,
        ))
    return {sid for sid, *_ in found}


def _users_left_without_roles(
    conn: Connection, staging: Staging, report: RunReport, source: str, bulk: set[str]
) -> set[str]:
    """Users of this run whose roles were all rejected: OneRoster has no user without a role,
    so the user goes too, naming the rejected role. A user who never had a role in the run
    (an Ed-Fi student posted before any enrollment) is not concerned."""
    users, roles = staging.rows["users"], staging.rows["roles"]
    rej = staging.rejects
    store = ROSTER_TABLES["roles"].alias("role_store")
    staged_role = exists().where(roles.c[_USER] == users.c.sourced_id, roles.c.status == "active")
    stored_role = exists().where(store.c[_USER] == users.c.sourced_id,
                                 _kept_in_store(staging, "roles", store, source, bulk))
    rows = conn.execute(
        select(users.c.sourced_id, users.c.line, users.c.file, rej.c.sourced_id, rej.c.file,
               rej.c.line)
        .join(rej, and_(rej.c.family == "roles", rej.c.user_id == users.c.sourced_id))
        .where(users.c.status == "active", ~staged_role, ~stored_role)
        .order_by(users.c.sourced_id, rej.c.line)
    ).all()
    named: set[str] = set()
    for sid, line, file, role, role_file, role_line in rows:
        if sid in named:
            continue  # one reason per user: its first rejected role
        named.add(sid)
        report.add_issue(Issue(
            "error", f"has no role left: its role {role!r} was rejected in this run "
            f"({_where(role_file, role_line)}; see its error)", file=file, line=line,
            field="roles", value=role, family="users", sourced_id=sid,
        ))
    return named


def reject_dangling(
    conn: Connection, staging: Staging, report: RunReport, source: str, bulk: set[str]
) -> None:
    """Rejects the rows whose references name nothing, in dependency order, and repeats while
    a pass rejects anything: a later pass only re-checks the references to families that lost
    rows (none, usually, so one pass is the whole cost)."""
    targets: set[str] | None = None  # the first pass checks every reference
    while True:
        lost: set[str] = set()
        for family in APPLY_ORDER:
            wanted = None if targets is None else targets | lost
            bad = _check_family(conn, staging, report, family, source, bulk, wanted)
            if bad:
                _reject(conn, staging, report, family, bad)
                lost.add(family)
        if "roles" in lost or targets is None:
            orphans = _users_left_without_roles(conn, staging, report, source, bulk)
            if orphans:
                _reject(conn, staging, report, "users", orphans)
                lost.add("users")
        if not lost:
            return
        targets = lost
