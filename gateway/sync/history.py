"""Run history in the store: one row per run, its issues, and clean-up of interrupted runs."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from gateway.model import RunIssue, SyncRun
from gateway.sync.report import RunReport, issue_row


def start_run(engine: Engine, source: str, adapter: str) -> int:
    with engine.begin() as conn:
        _mark_interrupted(conn, source)
        return conn.execute(
            insert(SyncRun.__table__).values(
                source=source, adapter=adapter, state="running", started_at=datetime.now(UTC),
                pid=os.getpid(), host=socket.gethostname(), stats={},
            ).returning(SyncRun.__table__.c.id)
        ).scalar_one()


def mark_interrupted(engine: Engine) -> None:
    """Before showing run history: runs whose process is gone were killed."""
    with engine.begin() as conn:
        _mark_interrupted(conn, None)


def _mark_interrupted(conn, source: str | None) -> None:  # noqa: ANN001
    """A run left `running` by a process that no longer exists was killed; say so. Only runs
    of this host are judged: hosts sharing PostgreSQL cannot see each other's processes."""
    runs = SyncRun.__table__
    where = [runs.c.state == "running", runs.c.host == socket.gethostname()]
    if source is not None:
        where.append(runs.c.source == source)
    for run_id, pid in conn.execute(select(runs.c.id, runs.c.pid).where(*where)).all():
        if pid and _alive(pid):
            continue
        conn.execute(update(runs).where(runs.c.id == run_id).values(
            state="interrupted", message="the run's process ended before it finished; "
            "nothing it read was applied",
        ))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Column sizes of run_issues: a hostile value must not stop its own rejection being recorded.
_LIMITS = {"value": 2000, "sourced_id": 255, "file": 255, "field": 128, "family": 64}
# PostgreSQL text cannot hold NUL: a refused value is recorded with its controls spelled out.
_VISIBLE = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))}


def finish_run(engine: Engine, report: RunReport) -> None:
    runs = SyncRun.__table__
    with engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == report.run_id).values(
            state=report.state, message=report.message, finished_at=datetime.now(UTC),
            change_version=report.change_version, stats=report.stats(),
        ))
        rows = [{"run_id": report.run_id, **issue_row(i)} for i in report.issues]
        for row in rows:
            for key, limit in _LIMITS.items():
                if row[key] is not None:
                    row[key] = str(row[key]).translate(_VISIBLE)[:limit]
        if rows:
            conn.execute(insert(RunIssue.__table__), rows)


def last_clean_run(conn, source: str) -> dict:  # noqa: ANN001
    """Stats of the source's latest run that left the store matching it (applied or
    unchanged): the file fingerprints and per-family change versions it recorded."""
    runs = SyncRun.__table__
    stats = conn.execute(
        select(runs.c.stats).where(runs.c.source == source,
                                   runs.c.state.in_(("applied", "unchanged")))
        .order_by(runs.c.id.desc()).limit(1)
    ).scalar()
    return stats or {}


def recent_runs(engine: Engine, limit: int = 50, source: str | None = None) -> list[dict]:
    """The newest runs first, each with its counts and how many rows it changed."""
    mark_interrupted(engine)
    runs = SyncRun.__table__
    query = select(runs).order_by(runs.c.id.desc()).limit(limit)
    if source is not None:
        query = query.where(runs.c.source == source)
    with engine.connect() as conn:
        found = conn.execute(query).all()
    out = []
    for run in found:
        counts = (run.stats or {}).get("counts", {})
        out.append({**run._asdict(), "counts": counts,
                    "changed": sum(c["inserted"] + c["updated"] + c["deleted"]
                                   for c in counts.values()),
                    "errors": sum(c.get("errors", 0) for c in counts.values())})
    return out


def run_with_issues(engine: Engine, run_id: int) -> tuple[dict, list[dict]] | None:
    """One run and every issue it recorded (each rejected row: file, line, field, value,
    reason), or None."""
    from gateway.sync.report import ISSUE_COLUMNS

    runs, issues = SyncRun.__table__, RunIssue.__table__
    with engine.connect() as conn:
        run = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        if run is None:
            return None
        rows = [r._asdict() for r in conn.execute(
            select(*[issues.c[c] for c in ISSUE_COLUMNS]).where(issues.c.run_id == run_id)
            .order_by(issues.c.id))]
    return run._asdict(), rows
