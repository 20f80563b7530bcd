"""One sync run, end to end: stream, validate, stage, check, diff, safeguard, apply.

Everything a run does to the store happens in one transaction on one connection: staging in
temporary tables, checks and the diff in SQL, then the apply. A refused, failed or dry run rolls
back, so the store is exactly as before; a killed process does the same by the database's own
recovery. Readers on other connections see the store before or after, never during.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import OperationalError

from adapters.canonical import FAMILIES
from adapters.records import (
    DIGESTS,
    SKIP,
    Bookmark,
    BookmarkRequest,
    DroppedColumn,
    Event,
    FamilyMode,
    Issue,
    Record,
    RowDigests,
    SourceStats,
)
from gateway.busy import StoreBusy, is_lock_timeout
from gateway.config import SourceConfig
from gateway.model import EDFI_DOCUMENTS, ROSTER_TABLES
from gateway.model.columns import indexed_column
from gateway.policy import pseudonym_order as order_keys
from gateway.store.engine import for_writes, lock_timeout_of, writer_turn
from gateway.sync import bookmarks, checks, diff, history
from gateway.sync.apply import apply_changes, next_change_version
from gateway.sync.documents import DocumentMarks, render_marked
from gateway.sync.known_rows import KnownRows
from gateway.sync.report import MAX_FATAL_ISSUES, RunReport
from gateway.sync.staging import Staging, staged_fields
from gateway.sync.validate import FamilyValidator, check_sourced_id

Progress = Callable[..., None]  # (rows read, source totals or None)
OnApply = Callable[[Connection, int], None]
PROGRESS_EVERY = 10_000
# One encoder for the whole run: json.dumps with options builds a new one per call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_STATUSES = {"active": "active", "tobedeleted": "tobedeleted", "inactive": "tobedeleted"}


class _Stager:
    """Turns records into staged rows; keeps per-family validators and counts."""

    def __init__(self, staging: Staging, report: RunReport) -> None:
        self.staging = staging
        self.report = report
        self.validators = {name: FamilyValidator(f) for name, f in FAMILIES.items()}
        self.row_fields = {
            name: [(f.name, indexed_column(f.name, f.kind)) for f in staged_fields(name)]
            for name in FAMILIES
        }
        self.linked = {name: [f.name for f in fam.linked] for name, fam in FAMILIES.items()}
        self.warned: set[tuple[str, str]] = set()

    def stage(self, record: Record, mode: str) -> None:
        report, family = self.report, record.family
        counts = report.family(family)
        counts.read += 1
        sid = record.sourced_id
        reason = check_sourced_id(sid)
        if reason:
            self._reject(record, [("sourcedId", sid, reason)])
            return
        status = "active"
        if mode == "delta":
            status = _STATUSES.get(record.status or "", "")
            if not status:
                self._reject(record, [("status", record.status,
                                       "a delta row needs status active or tobedeleted")])
                return
            if status == "tobedeleted":
                self.staging.add_row(family, (record.line, record.file, sid, status, "", "{}",
                                              None, None, *[None] * len(self.row_fields[family])))
                return
        validator = self.validators[family]
        clean, problems = validator.clean(record.fields)
        for name in validator.unknown_fields(record.fields):
            if (family, name) not in self.warned:
                self.warned.add((family, name))
                report.add_issue(Issue("warning", "not a canonical field; dropped",
                                       file=record.file, field=name, family=family))
        if problems:
            self._reject(record, problems)
            return
        data = _encode(clean)
        digest = hashlib.blake2b(data.encode(), digest_size=16).hexdigest()
        self.staging.add_row(family, (
            record.line, record.file, sid, status, digest, data, record.digest, None,
            *[clean.get(name) for name, _column in self.row_fields[family]],
        ))
        for name in self.linked[family]:
            for position, target in enumerate(clean.get(name, ())):
                self.staging.add_link(family, name, sid, position, target)

    def _reject(self, record: Record, problems: list[tuple[str, object, str]]) -> None:
        """A rejected row is remembered, so its stored version is neither changed nor
        tombstoned, and every problem in it is reported."""
        user = record.fields.get("user") if record.family == "roles" else None
        self.staging.add_reject(record.family, record.sourced_id or "", record.file,
                                record.line, user if isinstance(user, str) else None)
        self.report.family(record.family).errors += 1
        for field, value, reason in problems:
            self.report.add_issue(Issue(
                "error", reason, file=record.file, line=record.line, field=field,
                value=None if value is None else str(value)[:200], family=record.family,
                sourced_id=record.sourced_id,
            ))


# One key for all runs: sources share the family tables, so two runs must not diff at once.
RUN_LOCK = 0x5D6A7E11


def _serialise_runs(conn: Connection) -> None:
    """On PostgreSQL two concurrent runs both diffed against the same store and the second died
    on a duplicate key; a transaction-scoped advisory lock makes the second wait for the first
    (SQLite gets the same from BEGIN IMMEDIATE). The wait is bounded by the writer's lock
    timeout, as SQLite's busy timeout bounds it there."""
    if conn.dialect.name == "postgresql":
        millis = str(int(lock_timeout_of(conn) * 1000))
        conn.execute(text("SELECT set_config('lock_timeout', :ms, true)"), {"ms": millis})
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK})
        conn.execute(text("SELECT set_config('lock_timeout', '0', true)"))


def run_sync(
    engine: Engine, source: SourceConfig, events: Iterable[Event], *, adapter_name: str,
    var_dir: Path | None = None, dry_run: bool = False, force: bool = False,
    full: bool = False, progress: Progress | None = None, on_apply: OnApply | None = None,
    lock_timeout: float | None = None,
) -> RunReport:
    """Import one source. `full` disables skipping families whose source content the store
    already holds (see `_Skipper`). `on_apply` runs inside the run's transaction right after
    the changes are applied (with their change_version), for bookkeeping that must commit or
    roll back with them (an Ed-Fi key change).

    `lock_timeout` (seconds; default: what the engine carries, else 30) bounds the wait for the
    write lock; past it the run raises `StoreBusy`, after recording itself as failed when the
    store lets it (a SQLite store still locked by the other writer cannot record anything)."""
    engine = for_writes(engine, lock_timeout)
    with writer_turn(engine, lock_timeout_of(engine)) as turn:
        if not turn:
            raise StoreBusy(lock_timeout_of(engine))
        return _run_sync(engine, source, events, adapter_name, var_dir, dry_run, force, full,
                         progress, on_apply)


def _run_sync(engine: Engine, source: SourceConfig, events: Iterable[Event],  # noqa: PLR0913
              adapter_name: str, var_dir: Path | None, dry_run: bool, force: bool, full: bool,
              progress: Progress | None, on_apply: OnApply | None) -> RunReport:
    report = RunReport(source=source.name, adapter=adapter_name)
    try:
        report.run_id = history.start_run(engine, source.name, adapter_name)
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise StoreBusy(lock_timeout_of(engine)) from None
        raise
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            try:
                try:
                    with conn.begin() as transaction:
                        _serialise_runs(conn)
                        _run(conn, transaction, source, events, report, dry_run, force, full,
                             progress, on_apply)
                except OperationalError as exc:
                    if is_lock_timeout(exc):
                        raise StoreBusy(lock_timeout_of(engine)) from None
                    raise
                if report.state == "unchanged" and report.bookmarks:
                    with conn.begin():
                        bookmarks.save(conn, source.name, report)
                if report.state in ("applied", "unchanged"):
                    _remember_versions(conn, source.name, report)
                if report.state == "applied":
                    _refresh_statistics_unless_busy(conn, report)
            finally:
                conn.invalidate()  # temporary tables go with the connection
    except StoreBusy as busy:
        report.state, report.message = "failed", str(busy)
        report.seconds = time.perf_counter() - started
        _record_busy(engine, report)
        busy.report = report
        raise
    except Exception as exc:  # the run record must say what happened, then re-raise
        report.state, report.message = "failed", f"internal error: {exc.__class__.__name__}: {exc}"
        report.seconds = time.perf_counter() - started
        history.finish_run(engine, report)
        raise
    report.seconds = time.perf_counter() - started
    _record_busy(engine, report)  # what the run did stands even if recording it must wait
    if var_dir is not None:
        report.write_files(var_dir / "reports")
    return report


def _record_busy(engine: Engine, report: RunReport) -> None:
    """Record how a run ended. When the store is locked (SQLite, another writer at work past
    this writer's wait) the record is skipped rather than the outcome misreported: the caller's
    message, answer and report files still say what happened."""
    try:
        history.finish_run(engine, report)
    except OperationalError as exc:
        if not is_lock_timeout(exc):
            raise


class _Skipper:
    """Decides whether a family's records can be skipped unread: its fingerprint equals the
    one recorded by the source's last clean run, and none of the source's rows of that family
    changed since (their highest change_version is the one recorded then)."""

    def __init__(self, conn, source: str, enabled: bool) -> None:  # noqa: ANN001
        last = history.last_clean_run(conn, source) if enabled else {}
        self.conn = conn
        self.source = source
        self.fingerprints: dict[str, str] = last.get("fingerprints", {})
        self.versions: dict[str, int] = last.get("family_versions", {})

    def can_skip(self, event: FamilyMode) -> bool:
        family = event.family
        if not event.fingerprint or self.fingerprints.get(family) != event.fingerprint:
            return False
        return family in self.versions and _max_version(self.conn, self.source, family) == \
            self.versions[family]


def _max_version(conn, source: str, family: str) -> int:  # noqa: ANN001
    table = ROSTER_TABLES[family]
    return conn.execute(
        select(func.coalesce(func.max(table.c.change_version), 0))
        .where(table.c.source == source)
    ).scalar_one()


def _count_adapter_rejection(issue: Issue, report: RunReport, staging: Staging) -> None:
    """A row the adapter could not even turn into a record. With its sourcedId, its stored
    version is protected like any rejected row's; without, see `_protected_families`. A row
    the adapter gives several errors for is counted once."""
    if not report.first_error_of_its_row(issue):
        return
    family = issue.family if issue.family in FAMILIES else None
    if family is not None:
        counts = report.family(family)
        counts.read += 1
        counts.errors += 1
    if issue.sourced_id and family is not None:
        staging.add_reject(family, issue.sourced_id, issue.file, issue.line)
    else:
        report.unidentified[family] += 1


def _protected_families(report: RunReport, modes: dict[str, str]) -> set[str]:
    """Bulk families this run must not tombstone anything in: an unidentified rejected row
    might be any of their records (all bulk families when the family is unknown too)."""
    bulk = {f for f, m in modes.items() if m == "bulk"}
    if not report.unidentified:
        return set()
    protected = bulk if None in report.unidentified else bulk & set(report.unidentified)
    for family in sorted(protected):
        report.add_issue(Issue(
            "warning", "rows that could not be identified were rejected (see the errors); to "
            "keep their stored records this run deletes nothing in this family",
            family=family))
    return protected


def _active_rows(conn, source: str, family: str) -> int:  # noqa: ANN001
    table = ROSTER_TABLES[family]
    return conn.execute(select(func.count()).select_from(table).where(
        table.c.source == source, table.c.status == "active")).scalar_one()


ANALYZE_AFTER_CHANGES = 1000


def _refresh_statistics(conn, report: RunReport) -> None:  # noqa: ANN001
    """Planner statistics for tables a run changed a lot: without them SQLite picks the
    low-selectivity role index for a user lookup and reads every student (see bench/api.py)."""
    tables = [ROSTER_TABLES[family].name for family, c in report.counts.items()
              if c.inserted + c.updated + c.deleted >= ANALYZE_AFTER_CHANGES]
    if not tables:
        return
    # The Ed-Fi documents the run rendered with those rows: without their statistics
    # PostgreSQL joins a page of students to every stored document, sorted (58 ms against
    # 23 ms for 500 students at 10k).
    tables.append(EDFI_DOCUMENTS.name)
    conn.commit()  # end the read transaction the bookkeeping queries began
    with conn.begin():
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=2000")
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table}")


def _refresh_statistics_unless_busy(conn, report: RunReport) -> None:  # noqa: ANN001
    """Statistics are an optimisation after the commit: a writer holding the lock by then
    must not turn an applied run into a failed one."""
    try:
        _refresh_statistics(conn, report)
    except OperationalError as exc:
        if not is_lock_timeout(exc):
            raise
        conn.rollback()
        report.add_issue(Issue("warning", "planner statistics not refreshed: the store was "
                               "busy; the next large run refreshes them"))


def _remember_versions(conn, source: str, report: RunReport) -> None:  # noqa: ANN001
    """Per-family high-water marks, so the next run can tell nothing changed underneath."""
    for family in {*report.fingerprints, *report.skipped}:
        report.family_versions[family] = _max_version(conn, source, family)


def _enough_said(event: Event, report: RunReport) -> bool:
    """After a fatal problem only the source's other fatal problems are kept (a district fixes
    them all in one go), up to MAX_FATAL_ISSUES; True when the read may stop."""
    if isinstance(event, Issue) and event.level == "fatal":
        report.add_issue(event)
    return report.issue_totals["fatal"] >= MAX_FATAL_ISSUES


def _next(events: Iterator[Event], reply: str | None) -> Event | None:
    try:
        if reply is not None and hasattr(events, "send"):
            return events.send(reply)  # type: ignore[attr-defined]
        return next(events)
    except StopIteration:
        return None


def _run(conn, transaction, source, events, report, dry_run, force, full,  # noqa: ANN001, C901
         progress, on_apply=None) -> None:
    staging = Staging(conn)
    stager = _Stager(staging, report)
    skipper = _Skipper(conn, source.name, enabled=not full)
    marks = bookmarks.Bookmarks(conn, source.name, enabled=not full)
    known = KnownRows(conn, staging, report, source.name, enabled=not full)
    modes = report.modes
    skipped: set[str] = set()
    fatal = False
    seen = 0
    stream = iter(events)
    reply: str | None = None
    while (event := _next(stream, reply)) is not None:
        reply = None
        if fatal:  # nothing will be applied: only the source's other fatal problems matter
            if _enough_said(event, report):
                break
            reply = SKIP if isinstance(event, FamilyMode) else None  # files are skipped unread
            continue
        if isinstance(event, Record):
            if event.family in skipped:
                continue  # an adapter that cannot skip still streams them: ignore
            if event.family not in FAMILIES:
                report.add_issue(Issue("error", "unknown family", file=event.file,
                                       line=event.line, value=event.family))
                continue
            mode = modes.get(event.family)
            if mode is None:
                mode = modes[event.family] = "delta"
                report.add_issue(Issue("warning", "records arrived without a declared mode; "
                                       "treated as delta", family=event.family, file=event.file))
            stager.stage(event, mode)
            seen += 1
            if progress and seen % PROGRESS_EVERY == 0:
                progress(seen)
        elif isinstance(event, FamilyMode):
            if modes.get(event.family, event.mode) != event.mode:
                report.add_issue(Issue("fatal", f"{event.family} declared both bulk and delta",
                                       file=event.file, family=event.family))
                fatal = True
                continue
            if skipper.can_skip(event):
                skipped.add(event.family)
                report.skipped.append(event.family)
                report.fingerprints[event.family] = event.fingerprint
                reply = SKIP
                continue
            modes[event.family] = event.mode
            report.family(event.family)
            if event.fingerprint:
                report.fingerprints[event.family] = event.fingerprint
            if event.mode == "bulk" and event.family in FAMILIES:
                reply = DIGESTS
        elif isinstance(event, RowDigests):
            if event.family in FAMILIES and modes.get(event.family) == "bulk" and \
                    event.family not in skipped:
                found = known.answer(event)
                reply = found  # type: ignore[assignment]
                seen += len(found)
        elif isinstance(event, Issue):
            report.add_issue(event)
            if event.level == "error":
                _count_adapter_rejection(event, report, staging)
            if event.level == "fatal":
                fatal = True
        elif isinstance(event, DroppedColumn):
            report.dropped.append(event)
        elif isinstance(event, BookmarkRequest):
            reply = marks.answer(event)
        elif isinstance(event, Bookmark):
            marks.propose(event)
        elif isinstance(event, SourceStats):
            report.source_stats = dict(event.counts)
            if progress:
                progress(seen, report.source_stats)
    if progress:
        progress(seen)
    staging.flush()
    if fatal:
        found = report.issue_totals["fatal"]
        report.state, report.message = "failed", (
            "the source has a fatal problem; nothing applied" if found == 1 else
            f"the source has {found} fatal problems (all listed, up to {MAX_FATAL_ISSUES}); "
            "nothing applied")
        transaction.rollback()
        return
    checks.reject_duplicates(conn, staging, report)
    checks.reject_foreign_owned(conn, staging, report, source.name)
    bulk = {f for f, m in modes.items() if m == "bulk"}
    checks.reject_dangling(conn, staging, report, source.name, bulk)
    chg = diff.create_change_table(conn)
    diff.compute_changes(conn, staging, chg, source.name, modes,
                         protected=_protected_families(report, modes))
    diff.count_changes(conn, staging, chg, report)
    diff.sample_changes(conn, chg, report)

    for family in list(report.fingerprints):
        if report.family(family).errors:
            del report.fingerprints[family]  # a file with rejected rows is read again next time
    for family in report.skipped:
        report.family(family).unchanged = _active_rows(conn, source.name, family)
    marks.keep(report)

    rejected, read = report.rows_rejected, report.rows_read
    if read and rejected / read > source.max_error_share:
        report.state = "refused"
        report.message = (
            f"{rejected} of {read} rows rejected ({rejected / read:.1%}), more than the "
            f"source's limit of {source.max_error_share:.1%}; nothing applied"
        )
        transaction.rollback()
        return
    violations = diff.safeguard_violations(
        conn, report, source.name, modes, source.max_delete_share, source.max_update_share
    )
    if violations and not force:
        report.state = "refused"
        report.message = "mass-change safeguard: " + "; ".join(violations) + \
            "; nothing applied (re-run with --force if this is intended)"
        transaction.rollback()
        return
    if dry_run:
        report.state, report.message = "dry-run", "dry run: nothing applied"
        transaction.rollback()
        return
    if not report.changed:
        report.state, report.message = "unchanged", "the store already matches the source"
        transaction.rollback()
        return
    report.change_version = next_change_version(conn)
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the wire's precision
    marks = DocumentMarks(conn)
    marks.embedding(chg)  # rows that embed a changed row as the store names them before...
    apply_changes(conn, staging, chg, source.name, report.change_version, now, list(modes),
                  {family: counts.inserted for family, counts in report.counts.items()})
    marks.changed(chg)
    marks.embedding(chg)  # ...and after the apply
    render_marked(conn, marks)
    # Pseudonymous apps' order keys of the changed rows, committed with them: a reader never
    # sees a row its app has no key for (gateway/policy/pseudonym_order.py).
    order_keys.catch_up(conn)
    if on_apply is not None:
        on_apply(conn, report.change_version)
    bookmarks.save(conn, source.name, report)
    transaction.commit()
    report.state = "applied"
    report.message = "applied" + (" (safeguard overridden by --force)" if violations else "")
